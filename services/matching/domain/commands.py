"""What a coordinator asks matching to do: one frozen dataclass per command. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from shared.events.catalog import DeclineReason, Side


@dataclass(frozen=True)
class ProposeMatch:
    """Propose one mentee and one mentor to each other (from a suggestion, or as part of a round)."""

    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    round_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RunRound:
    """Match the whole waiting pool of an office, or of a province, at once."""

    round_id: uuid.UUID
    office: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class ScheduleFirstMeeting:
    """The first meeting, where both sides decide, is set for a day."""

    proposal_id: uuid.UUID
    meeting_on: date


@dataclass(frozen=True)
class AnswerProposal:
    """After the first meeting, one side accepts or declines (with a coded reason)."""

    proposal_id: uuid.UUID
    side: Side
    accept: bool
    reason: DeclineReason | None = None


@dataclass(frozen=True)
class ExpireProposals:
    """Close every open proposal whose answer is overdue."""
