"""What a coordinator asks matching to do: one frozen dataclass per command. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from services.matching.domain.proposal import ProposalState
from shared.commanding.handlers import Command
from shared.events.catalog import DeclineReason, Side


@dataclass(frozen=True)
class ProposeMatch(Command[ProposalState]):
    """Propose one mentee and one mentor to each other (from a suggestion, or as part of a round)."""

    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    round_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RunRound(Command["RoundOutcome"]):
    """Match the whole waiting pool of an office, or of a province, at once."""

    round_id: uuid.UUID
    office: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class RoundOutcome:
    """What a round proposed, whom it could not match, and under which configuration."""

    round_id: uuid.UUID
    proposals: list[ProposalState]
    unmatched_mentees: list[uuid.UUID]
    config_version: str


@dataclass(frozen=True)
class ScheduleFirstMeeting(Command[ProposalState]):
    """The first meeting, where both sides decide, is set for a day."""

    proposal_id: uuid.UUID
    meeting_on: date


@dataclass(frozen=True)
class AnswerProposal(Command[ProposalState]):
    """After the first meeting, one side accepts or declines (with a coded reason)."""

    proposal_id: uuid.UUID
    side: Side
    accept: bool
    reason: DeclineReason | None = None


@dataclass(frozen=True)
class HoldFirstMeeting(Command[ProposalState]):
    """The first meeting took place on a day, and each side's answer given there: one command for what a
    coordinator records after it, each part under its own rules (schedule, then the answers in order)."""

    proposal_id: uuid.UUID
    meeting_on: date
    answers: tuple[AnswerProposal, ...]


@dataclass(frozen=True)
class ExpireProposals(Command[list[ProposalState]]):
    """Close every open proposal whose answer is overdue."""
