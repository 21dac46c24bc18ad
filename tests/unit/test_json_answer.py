"""json_answer encodes an answer byte for byte as FastAPI's default path does (jsonable_encoder, then JSONResponse)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.json_answer import json_answer


class Kind(enum.Enum):
    JOB = "job"


class Cell(BaseModel):
    day: date
    share: Decimal | None
    kind: Kind


ANSWER = {
    "as_of": date(2026, 12, 7),
    "recorded": datetime(2026, 12, 7, 12, 0, tzinfo=UTC),
    "subject": uuid.UUID(int=7),
    "rows": [{"area": "Brussels", "year": 2025, "planned": 120, "share": 0.825, "formed": None}],
    "cells": [Cell(day=date(2026, 1, 1), share=Decimal("0.5"), kind=Kind.JOB)],
    "counts": {2024: 3, "name": "Zoë", "whole": Decimal("12")},
    "offices": ("BXL", "ANT"),
    "kind": Kind.JOB,
}


def test_an_answer_is_the_bytes_fastapi_answers() -> None:
    assert json_answer(ANSWER).body == JSONResponse(jsonable_encoder(ANSWER)).body
    assert json_answer(ANSWER).headers["content-type"] == "application/json"


def test_a_value_json_cannot_hold_is_refused_as_by_fastapi() -> None:
    with pytest.raises(ValueError):
        JSONResponse(jsonable_encoder({"share": float("nan")}))
    with pytest.raises(ValueError):
        json_answer({"share": float("nan")})
