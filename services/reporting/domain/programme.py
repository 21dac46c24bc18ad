"""The programme as the event log describes it: every fact indexed, whatever order the events arrived in. Pure.

Figures are computed from this index, never accumulated event by event, so a `JobFound`
read before the `DuoFormed` of its duo counts the same, a redelivered event (same id) is
one fact, and the figures "as of" a date are those of the events recorded up to then.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.reporting.domain.membership import ERASED, REJOINED, WITHDRAWN
from shared.events.catalog import (
    ContractExtended,
    DuoEnded,
    DuoFormed,
    FirstMeetingScheduled,
    FollowUpRecorded,
    InternshipStarted,
    JobEnded,
    JobFound,
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    MeetingLogged,
    MenteeApplicationRejected,
    MenteeReadyForMatching,
    MenteeReferred,
    MenteeRegistered,
    MenteeRejoined,
    MenteeSurveyRecorded,
    MenteeTargetGroupConsentWithdrawn,
    MenteeTargetGroupRecorded,
    MenteeWithdrawn,
    MentorEmploymentRecorded,
    MentorRejoined,
    MentorSurveyRecorded,
    MentorTrainingCompleted,
    MentorWithdrawn,
    PersonalDataErased,
    ReferralOutcomeRecorded,
    TrainingStarted,
)
from shared.events.envelope import EventEnvelope
from shared.tenancy import OFFICES, Tenant, local_date


@dataclass(frozen=True)
class Place:
    """Where a fact belongs, for slicing: branch, office, province (None: Brussels, or an office without one)."""

    tenant: Tenant
    office: str

    @property
    def province(self) -> str | None:
        return OFFICES.get(self.office, (None, None, None))[2]

    @property
    def region(self) -> str | None:
        return OFFICES.get(self.office, (None, None, None))[1]


@dataclass
class Duo:
    """A duo and everything recorded about it."""

    duo_id: uuid.UUID
    place: Place
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    formed_on: date
    days_to_match: int
    sector: str | None
    ended_on: date | None = None
    end_reason: str | None = None
    meetings: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    trainings: list[dict[str, Any]] = field(default_factory=list)
    internships: list[dict[str, Any]] = field(default_factory=list)
    mentee_survey: dict[str, Any] | None = None
    mentor_survey: dict[str, Any] | None = None
    follow_ups: dict[int, str] = field(default_factory=dict)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    referral_outcomes: list[dict[str, Any]] = field(default_factory=list)
    event_ids: list[uuid.UUID] = field(default_factory=list)


# Where a mentee stands after each fact of their journey (the facts come from intake, matching and tracking).
MENTEE_STATUS_AFTER = {
    MenteeRegistered.event_type: "registered",  # the steps before matching are still to do
    MenteeReadyForMatching.event_type: "waiting",  # information session and suitable interview: matchable
    MenteeWithdrawn.event_type: "gone",
    PersonalDataErased.event_type: "gone",
    MenteeRejoined.event_type: "registered",  # the intake interview comes again before matching
    DuoFormed.event_type: "in_duo",
    DuoEnded.event_type: "gone",
}


# Facts of one moment (a simulated calendar stamps a whole step with one instant) in the order they can only
# have happened: intake's facts (in their stream's order), then the duo formed, then its end. The event id,
# random, would otherwise decide, and put a registration after the readiness it led to.
_CAUSAL_RANK = {DuoFormed.event_type: 1, DuoEnded.event_type: 2}


@dataclass
class MenteeJourney:
    """A mentee's place and the facts that moved them between registered, waiting, in a duo and gone."""

    mentee_id: uuid.UUID
    place: Place | None = None
    registered_on: date | None = None
    # (occurred_at, the fact's place among facts of the same moment, event id, status, day)
    steps: list[tuple[datetime, tuple[int, int], str, str, date]] = field(default_factory=list)

    def status(self) -> tuple[str, date | None]:
        """The status after the last fact (in the order they happened, whatever order they arrived in), and the
        day it began."""
        if not self.steps:
            return "unknown", None
        _, _, _, status, day = max(self.steps)
        return status, day


@dataclass
class Proposal:
    """A proposal of a mentee and a mentor, and how it ended (if it did): formed, declined or expired."""

    proposal_id: uuid.UUID
    place: Place | None = None
    mentee_id: uuid.UUID | None = None
    mentor_id: uuid.UUID | None = None
    proposed_on: date | None = None
    expires_on: date | None = None
    first_meeting_on: date | None = None
    accepted_by: set[str] = field(default_factory=set)
    closed_as: str | None = None  # formed | declined | expired
    closed_on: date | None = None

    @property
    def open(self) -> bool:
        """Proposed, and neither formed, declined nor expired (yet)."""
        return self.proposed_on is not None and self.closed_as is None


_PROPOSAL_CLOSED_AS = {
    DuoFormed.event_type: "formed",
    MatchDeclined.event_type: "declined",
    MatchExpired.event_type: "expired",
}


@dataclass
class Programme:
    """Every fact of the log up to a moment, indexed for the figures."""

    registrations: dict[uuid.UUID, tuple[Place, date]] = field(default_factory=dict)
    application_events: dict[uuid.UUID, tuple[Place, date]] = field(default_factory=dict)  # by event id
    refusals: list[tuple[Place, date, tuple[str, ...]]] = field(default_factory=list)
    mentors_trained: dict[uuid.UUID, tuple[Place, date]] = field(default_factory=dict)
    # (ledger order, withdrawn | rejoined | erased, day) of each mentor: membership.absences reads them
    mentor_membership: dict[uuid.UUID, list[tuple[tuple[Any, ...], str, date]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Each mentor's employment facts: (the ledger's order, status, released by the employer); the last one counts.
    mentor_employment: dict[uuid.UUID, list[tuple[tuple[Any, ...], str, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Each mentee's target-group facts: (the ledger's order, (NEET, long-term unemployed, time since the last job),
    # None when the consent was withdrawn); the last one counts.
    target_groups: dict[uuid.UUID, list[tuple[tuple[Any, ...], tuple[bool, bool, str] | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    duos: dict[uuid.UUID, Duo] = field(default_factory=dict)
    mentees: dict[uuid.UUID, MenteeJourney] = field(default_factory=dict)
    proposals: dict[uuid.UUID, Proposal] = field(default_factory=dict)
    by_stream: dict[str, list[EventEnvelope]] = field(default_factory=lambda: defaultdict(list))
    events: int = 0


def _day(envelope: EventEnvelope) -> date:
    return local_date(envelope.tenant, envelope.occurred_at)


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# Events that say something about a duo, by the key of the duo's list they go to.
_DUO_FACTS = {
    MeetingLogged.event_type: "meetings",
    JobFound.event_type: "jobs",
    TrainingStarted.event_type: "trainings",
    InternshipStarted.event_type: "internships",
    MenteeReferred.event_type: "referrals",
    ReferralOutcomeRecorded.event_type: "referral_outcomes",
}


def programme_of(envelopes: Iterable[EventEnvelope], recorded_by: datetime | None = None) -> Programme:
    """Index the facts recorded up to `recorded_by` (all when None); duplicates by event id count once."""
    seen: set[uuid.UUID] = set()
    p = Programme()
    later: list[EventEnvelope] = []
    for envelope in envelopes:
        if envelope.event_id in seen or (recorded_by is not None and envelope.recorded_at > recorded_by):
            continue
        seen.add(envelope.event_id)
        p.events += 1
        p.by_stream[envelope.stream_id].append(envelope)
        data, kind, place = envelope.data, envelope.event_type, Place(envelope.tenant, envelope.office)
        _journeys(p, envelope, place)
        if kind == MenteeRegistered.event_type:
            p.registrations[uuid.UUID(data["mentee_id"])] = (place, _day(envelope))
            p.application_events[envelope.event_id] = (place, _day(envelope))
        elif kind == MenteeApplicationRejected.event_type:
            p.refusals.append((place, _day(envelope), tuple(data.get("failed_rules", ()))))
            p.application_events[envelope.event_id] = (place, _day(envelope))
        elif kind == MentorTrainingCompleted.event_type:
            p.mentors_trained[uuid.UUID(data["mentor_id"])] = (place, _day(envelope))
        elif kind in (MentorWithdrawn.event_type, MentorRejoined.event_type):
            said = WITHDRAWN if kind == MentorWithdrawn.event_type else REJOINED
            p.mentor_membership[uuid.UUID(data["mentor_id"])].append((_ledger_order(envelope), said, _day(envelope)))
        elif kind in (MenteeTargetGroupRecorded.event_type, MenteeTargetGroupConsentWithdrawn.event_type):
            p.target_groups[uuid.UUID(data["mentee_id"])].append((_ledger_order(envelope), _target_group(envelope)))
        elif kind == MentorEmploymentRecorded.event_type:
            fact = (_ledger_order(envelope), str(data.get("status")), data.get("employer_released") is True)
            p.mentor_employment[uuid.UUID(data["mentor_id"])].append(fact)
        elif kind == PersonalDataErased.event_type and data.get("kind") == "mentor":
            p.mentor_membership[uuid.UUID(data["person_id"])].append((_ledger_order(envelope), ERASED, _day(envelope)))
        elif kind == DuoFormed.event_type:
            duo_id = uuid.UUID(data["duo_id"])
            p.duos[duo_id] = Duo(
                duo_id,
                place,
                uuid.UUID(data["mentee_id"]),
                uuid.UUID(data["mentor_id"]),
                date.fromisoformat(data["formed_on"]),
                int(data["days_to_match"]),
                data.get("job_target_sector"),
                event_ids=[envelope.event_id],
            )
        else:
            later.append(envelope)  # facts about a duo: applied once every duo is known, whatever the order
    # Facts that change an earlier fact (a contract extended, a job ended) go last, in the order they happened,
    # so that they find the job they change whatever order the log delivered them in.
    changes = (ContractExtended.event_type, JobEnded.event_type)
    for envelope in [e for e in later if e.event_type not in changes]:
        _duo_fact(p, envelope)
    for envelope in sorted(
        (e for e in later if e.event_type in changes), key=lambda e: (e.occurred_at, str(e.event_id))
    ):
        _duo_fact(p, envelope)
    return p


def _ledger_order(envelope: EventEnvelope) -> tuple[Any, ...]:
    """Where a fact stands in the ledger's order (the read models' too): of several, the last one counts."""
    return (envelope.recorded_at, envelope.stream_id, envelope.stream_version, envelope.event_id)


def _target_group(envelope: EventEnvelope) -> tuple[bool, bool, str] | None:
    """A mentee's target-group facts as recorded; None when the consent was withdrawn."""
    if envelope.event_type != MenteeTargetGroupRecorded.event_type:
        return None
    data = envelope.data
    return data.get("neet") is True, data.get("long_term_unemployed") is True, str(data.get("time_since_last_job"))


def _journeys(p: Programme, envelope: EventEnvelope, place: Place) -> None:
    """A fact's part in a mentee's journey and in a proposal's life (each kept whatever order they arrive in)."""
    data, kind = envelope.data, envelope.event_type
    if kind in MENTEE_STATUS_AFTER and not (kind == PersonalDataErased.event_type and data.get("kind") != "mentee"):
        mentee_id = uuid.UUID(data["person_id"] if kind == PersonalDataErased.event_type else data["mentee_id"])
        journey = p.mentees.setdefault(mentee_id, MenteeJourney(mentee_id))
        if kind == MenteeRegistered.event_type or journey.place is None:
            journey.place = place
        if kind == MenteeRegistered.event_type:
            journey.registered_on = _day(envelope)
        day = _day(envelope)
        if kind == DuoFormed.event_type:
            day = date.fromisoformat(data["formed_on"])
        elif kind == DuoEnded.event_type and data.get("ended_on"):
            day = date.fromisoformat(data["ended_on"])
        same_moment = (_CAUSAL_RANK.get(kind, 0), envelope.stream_version)
        journey.steps.append(
            (envelope.occurred_at, same_moment, str(envelope.event_id), MENTEE_STATUS_AFTER[kind], day)
        )
    if kind == MatchProposed.event_type or kind == MatchAccepted.event_type or kind in _PROPOSAL_CLOSED_AS:
        proposal_id = uuid.UUID(data["proposal_id"])
        proposal = p.proposals.setdefault(proposal_id, Proposal(proposal_id))
        if kind == MatchProposed.event_type:
            proposal.place, proposal.proposed_on = place, _day(envelope)
            proposal.mentee_id, proposal.mentor_id = uuid.UUID(data["mentee_id"]), uuid.UUID(data["mentor_id"])
            proposal.expires_on = _parse(data.get("expires_on"))
        elif kind == MatchAccepted.event_type:
            proposal.accepted_by.add(str(data.get("side")))
        else:
            proposal.closed_as, proposal.closed_on = _PROPOSAL_CLOSED_AS[kind], _day(envelope)
    if kind == FirstMeetingScheduled.event_type:
        proposal_id = uuid.UUID(data["proposal_id"])
        p.proposals.setdefault(proposal_id, Proposal(proposal_id)).first_meeting_on = _parse(data.get("meeting_on"))


def _duo_fact(p: Programme, envelope: EventEnvelope) -> None:
    data, kind = envelope.data, envelope.event_type
    duo_id = data.get("duo_id")
    duo = p.duos.get(uuid.UUID(duo_id)) if duo_id else None
    if duo is None:
        return  # a fact about a duo this log does not hold (yet): it counts once the duo's formation arrives
    duo.event_ids.append(envelope.event_id)
    if kind in _DUO_FACTS:
        getattr(duo, _DUO_FACTS[kind]).append(data)
    elif kind == DuoEnded.event_type:
        duo.ended_on, duo.end_reason = _parse(data.get("ended_on")), data.get("reason")
    elif kind == ContractExtended.event_type:
        for job in duo.jobs:
            if job.get("job_id") == data.get("job_id"):
                job["contract_months"] = data.get("contract_months", job.get("contract_months"))
    elif kind == JobEnded.event_type:
        for job in duo.jobs:
            if job.get("job_id") == data.get("job_id"):
                job["ended_on"] = data.get("ended_on")
    elif kind == MenteeSurveyRecorded.event_type:
        duo.mentee_survey = data
    elif kind == MentorSurveyRecorded.event_type:
        duo.mentor_survey = data
    elif kind == FollowUpRecorded.event_type:
        duo.follow_ups[int(data["months"])] = data.get("status", "")
