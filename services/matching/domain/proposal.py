"""A proposal: from the coordinator's suggestion to the first meeting where both say yes (a duo) or one says no.

Pure: the caller passes the branch's `today` and the ids it made. The pool's facts that a
decision needs (the mentee's registration day, sector, office) are given with the command.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from services.matching.domain.errors import ProposalClosed, TooEarly
from shared.commanding.aggregate import Aggregate
from shared.commanding.errors import InvalidField
from shared.events.catalog import (
    DeclineReason,
    DuoFormed,
    FirstMeetingScheduled,
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    Side,
)
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.nace import NaceSection
from shared.tenancy import OFFICES, Tenant, local_date


@dataclass(frozen=True)
class ProposalState:
    """A proposal as its events describe it; version 0 means no such proposal."""

    proposal_id: uuid.UUID | None = None
    version: int = 0
    tenant: Tenant | None = None
    office: str | None = None
    status: str = "unknown"  # open | declined | expired | formed
    mentee_id: uuid.UUID | None = None
    mentor_id: uuid.UUID | None = None
    score: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    round_id: uuid.UUID | None = None
    config_version: str = ""
    proposed_on: date | None = None
    expires_on: date | None = None
    meeting_on: date | None = None
    accepted_by: frozenset[str] = frozenset()
    duo_id: uuid.UUID | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def evolve(state: ProposalState, envelope: EventEnvelope) -> ProposalState:
    """One event applied to a proposal."""
    event = envelope.payload()
    match event:
        case MatchProposed():
            return replace(
                state,
                proposal_id=event.proposal_id,
                tenant=envelope.tenant,
                office=envelope.office,
                status="open",
                mentee_id=event.mentee_id,
                mentor_id=event.mentor_id,
                score=event.score,
                terms=dict(event.terms),
                round_id=event.round_id,
                config_version=event.config_version,
                proposed_on=local_date(envelope.tenant, envelope.occurred_at),
                expires_on=event.expires_on,
            )
        case FirstMeetingScheduled():
            return replace(state, meeting_on=event.meeting_on)
        case MatchAccepted():
            return replace(state, accepted_by=state.accepted_by | {event.side})
        case MatchDeclined():
            return replace(state, status="declined")
        case MatchExpired():
            return replace(state, status="expired")
        case DuoFormed():
            return replace(state, status="formed", duo_id=event.duo_id)
    return state


PROPOSAL = Aggregate("proposal", ProposalState(), evolve)


@dataclass(frozen=True)
class MenteeFacts:
    """What the duo's record needs to know of the mentee, from matching's pool."""

    registered_on: date
    job_target_sector: NaceSection


def propose(
    proposal_id: uuid.UUID,
    mentee_id: uuid.UUID,
    mentor_id: uuid.UUID,
    round_id: uuid.UUID | None,
    score: float,
    terms: dict[str, float],
    config_version: str,
    today: date,
    expiry_days: int,
) -> MatchProposed:
    """The proposal's first fact; it expires `expiry_days` after today if nobody answers."""
    return MatchProposed(
        proposal_id=proposal_id,
        mentee_id=mentee_id,
        mentor_id=mentor_id,
        round_id=round_id,
        score=round(score, 6),
        terms={k: round(v, 6) for k, v in terms.items()},
        config_version=config_version,
        expires_on=today + timedelta(days=expiry_days),
    )


def _require_open(state: ProposalState) -> None:
    if not state.is_open:
        raise ProposalClosed(state.status)


def schedule_first_meeting(state: ProposalState, meeting_on: date) -> list[FirstMeetingScheduled]:
    """Set (or move) the first meeting; not before the proposal was made."""
    _require_open(state)
    assert state.proposal_id is not None and state.proposed_on is not None
    if meeting_on < state.proposed_on:
        raise InvalidField(
            "meeting_on",
            "not_before_proposal",
            f"must not be before the proposal was made ({state.proposed_on.isoformat()})",
        )
    if meeting_on > state.proposed_on + timedelta(days=365):
        raise InvalidField("meeting_on", "within_a_year", "must be within a year of the proposal")
    return [FirstMeetingScheduled(proposal_id=state.proposal_id, meeting_on=meeting_on)]


def answer(
    state: ProposalState,
    side: Side,
    accept: bool,
    reason: DeclineReason | None,
    today: date,
    duo_id: uuid.UUID,
    mentee: MenteeFacts,
) -> list[DomainEvent]:
    """One side's answer after the first meeting; the second yes forms the duo, any no closes the proposal."""
    _require_open(state)
    assert state.proposal_id and state.mentee_id and state.mentor_id and state.office
    if state.meeting_on is None or state.meeting_on > today:
        raise TooEarly("the first meeting has not taken place yet: schedule it, then answer after it")
    if side in state.accepted_by:
        raise ProposalClosed(f"already accepted by the {side}")
    if not accept:
        if reason is None:
            raise InvalidField("reason", "reason_required", "a decline needs a reason")
        return [
            MatchDeclined(
                proposal_id=state.proposal_id,
                mentee_id=state.mentee_id,
                mentor_id=state.mentor_id,
                side=side,
                reason=reason,
            )
        ]
    events: list[DomainEvent] = [MatchAccepted(proposal_id=state.proposal_id, side=side)]
    if state.accepted_by | {side} == {"mentee", "mentor"}:
        events.append(
            DuoFormed(
                duo_id=duo_id,
                proposal_id=state.proposal_id,
                mentee_id=state.mentee_id,
                mentor_id=state.mentor_id,
                province=OFFICES[state.office][2],
                job_target_sector=mentee.job_target_sector,
                formed_on=today,
                days_to_match=max(0, (today - mentee.registered_on).days),
                score=state.score,
                config_version=state.config_version,
            )
        )
    return events


def expire(state: ProposalState, today: date) -> list[MatchExpired]:
    """An open proposal past its answer day expires; anything else is left alone."""
    if not state.is_open or state.expires_on is None or today <= state.expires_on:
        return []
    assert state.proposal_id and state.mentee_id and state.mentor_id
    return [MatchExpired(proposal_id=state.proposal_id, mentee_id=state.mentee_id, mentor_id=state.mentor_id)]
