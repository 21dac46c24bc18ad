"""Matching's request bodies: unknown fields are refused, each field fails with a rule a client can act on."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.commanding.errors import InvalidField
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


class FirstMeeting(Body):
    """The day of the first meeting, where both sides decide; once it took place, what each side answered there
    may come with it (instead of one request an answer)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"meeting_on": "2026-12-10"},
                {
                    "meeting_on": "2026-12-03",
                    "answers": [{"side": "mentee", "answer": "accept"}, {"side": "mentor", "answer": "accept"}],
                },
            ]
        },
    )

    meeting_on: date = Field(examples=["2026-12-03"])
    answers: list[ProposalAnswer] = Field(
        default_factory=list,
        max_length=2,
        description="each side's answer at the meeting, in the order given (the meeting must have taken place)",
    )

    def answers_in_order(self) -> None:
        """Each side answers once, and nothing after a decline (it closes the proposal); a problem is named by its
        place (`answers.1`)."""
        for place, given in enumerate(self.answers):
            if any(a.side == given.side for a in self.answers[:place]):
                raise InvalidField(f"answers.{place}.side", "answered_once", f"the {given.side} answered already")
            if place and self.answers[place - 1].answer == "decline":
                raise InvalidField(
                    f"answers.{place}", "after_decline", "a decline closes the proposal: no answer after it"
                )
