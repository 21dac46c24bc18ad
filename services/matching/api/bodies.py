"""Matching's request bodies: unknown fields are refused, each field fails with a rule a client can act on."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.events.catalog import DeclineReason, Side
from shared.tenancy import OFFICES

PROVINCES = sorted({province for _, _, province in OFFICES.values() if province})


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoundRequest(Body):
    """The pool a round matches: one office, or every office of a province."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"office": "be-antwerpen"}]})

    office: Literal[tuple(sorted(OFFICES))] | None = Field(default=None, examples=["be-antwerpen"])  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    province: Literal[tuple(PROVINCES)] | None = Field(default=None, examples=["Antwerpen"])  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        if (self.office is None) == (self.province is None):
            raise PydanticCustomError("one_scope", "give either an office or a province")
        return self


class ProposalRequest(Body):
    """A pair a coordinator picked from the suggestions."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mentee_id": "6f1c3a52-7d4e-4b8a-9c1e-2f5d8a9b0c17",
                    "mentor_id": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
                }
            ]
        },
    )

    mentee_id: uuid.UUID
    mentor_id: uuid.UUID


class FirstMeeting(Body):
    """The day of the first meeting, where both sides decide."""

    meeting_on: date = Field(examples=["2026-12-03"])


class ProposalAnswer(Body):
    """One side's answer after the first meeting; a decline needs a coded reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"side": "mentee", "answer": "accept"},
                {"side": "mentor", "answer": "decline", "reason": "availability"},
            ]
        },
    )

    side: Side
    answer: Literal["accept", "decline"]
    reason: DeclineReason | None = None

    @model_validator(mode="after")
    def _reason_with_decline(self) -> Self:
        if self.answer == "decline" and self.reason is None:
            raise PydanticCustomError("reason_required", "a decline needs a reason")
        if self.answer == "accept" and self.reason is not None:
            raise PydanticCustomError("no_reason_for_accept", "an acceptance takes no reason")
        return self
