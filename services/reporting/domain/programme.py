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
    meetings: list[dict] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    trainings: list[dict] = field(default_factory=list)
    internships: list[dict] = field(default_factory=list)
    mentee_survey: dict | None = None
    mentor_survey: dict | None = None
    follow_ups: dict[int, str] = field(default_factory=dict)
    event_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Programme:
    """Every fact of the log up to a moment, indexed for the figures."""

    registrations: dict[uuid.UUID, tuple[Place, date]] = field(default_factory=dict)
    refusals: list[tuple[Place, date, tuple[str, ...]]] = field(default_factory=list)
    mentors_trained: dict[uuid.UUID, tuple[Place, date]] = field(default_factory=dict)
    mentors_left: dict[uuid.UUID, date] = field(default_factory=dict)
    duos: dict[uuid.UUID, Duo] = field(default_factory=dict)
    by_stream: dict[str, list[EventEnvelope]] = field(default_factory=lambda: defaultdict(list))
    events: int = 0


def _day(envelope: EventEnvelope) -> date:
    return local_date(envelope.tenant, envelope.occurred_at)


def _parse(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# Events that say something about a duo, by the key of the duo's list they go to.
_DUO_FACTS = {
    "MeetingLogged": "meetings",
    "JobFound": "jobs",
    "TrainingStarted": "trainings",
    "InternshipStarted": "internships",
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
        if kind == "MenteeRegistered":
            p.registrations[uuid.UUID(data["mentee_id"])] = (place, _day(envelope))
        elif kind == "MenteeApplicationRejected":
            p.refusals.append((place, _day(envelope), tuple(data.get("failed_rules", ()))))
        elif kind == "MentorTrainingCompleted":
            p.mentors_trained[uuid.UUID(data["mentor_id"])] = (place, _day(envelope))
        elif kind == "MentorWithdrawn":
            p.mentors_left[uuid.UUID(data["mentor_id"])] = _day(envelope)
        elif kind == "PersonalDataErased" and data.get("kind") == "mentor":
            p.mentors_left.setdefault(uuid.UUID(data["person_id"]), _day(envelope))
        elif kind == "DuoFormed":
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
    for envelope in later:
        _duo_fact(p, envelope)
    return p


def _duo_fact(p: Programme, envelope: EventEnvelope) -> None:
    data, kind = envelope.data, envelope.event_type
    duo_id = data.get("duo_id")
    duo = p.duos.get(uuid.UUID(duo_id)) if duo_id else None
    if duo is None:
        return  # a fact about a duo this log does not hold (yet): it counts once the duo's formation arrives
    duo.event_ids.append(envelope.event_id)
    if kind in _DUO_FACTS:
        getattr(duo, _DUO_FACTS[kind]).append(data)
    elif kind == "DuoEnded":
        duo.ended_on, duo.end_reason = _parse(data.get("ended_on")), data.get("reason") or data.get("outcome")
    elif kind == "ContractExtended":
        for job in duo.jobs:
            if job.get("job_id") == data.get("job_id") or len(duo.jobs) == 1:
                job["contract_months"] = data.get("contract_months", job.get("contract_months"))
    elif kind == "JobEnded":
        for job in duo.jobs:
            if job.get("job_id") == data.get("job_id") or len(duo.jobs) == 1:
                job["ended_on"] = data.get("ended_on")
    elif kind == "MenteeSurveyRecorded":
        duo.mentee_survey = data
    elif kind == "MentorSurveyRecorded":
        duo.mentor_survey = data
    elif kind == "FollowUpRecorded":
        duo.follow_ups[int(data["months"])] = data.get("status", "")
