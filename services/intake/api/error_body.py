"""The one shape of every intake 4xx: a summary, the broken rules with their fields, and ids to go on with."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from services.intake.errors import FieldProblem


class FieldError(BaseModel):
    """One broken rule."""

    field: str
    rule: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer: a summary, the broken rules, and the ids a client needs to go on."""

    detail: str
    errors: list[FieldError] = []
    existing_id: uuid.UUID | None = None
    existing_kind: str | None = None
    existing_status: str | None = None
    application_id: uuid.UUID | None = None
    stream_id: str | None = None
    current_version: int | None = None


def error_body(detail: str, problems: tuple[FieldProblem, ...] = (), **ids: Any) -> dict[str, Any]:
    """The JSON of an ErrorBody."""
    body = {"detail": detail, "errors": [{"field": p.field, "rule": p.rule, "message": p.message} for p in problems]}
    return body | {k: str(v) for k, v in ids.items() if v is not None}
