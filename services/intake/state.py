"""Current state of a mentee or mentor, folded from their stream: the only source of truth for decisions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.events.catalog import (
    MenteeProfileChanged,
    MenteeRegistered,
    MenteeWithdrawn,
    MentorProfileChanged,
    MentorRegistered,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    MentorWithdrawn,
    SectorExperience,
)
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant


def mentee_stream(mentee_id: uuid.UUID) -> str:
    """The stream holding one mentee's history."""
    return f"mentee-{mentee_id}"


def mentor_stream(mentor_id: uuid.UUID) -> str:
    """The stream holding one mentor's history."""
    return f"mentor-{mentor_id}"


def application_stream(application_id: uuid.UUID) -> str:
    """The stream recording a refused mentee application."""
    return f"application-{application_id}"


@dataclass(frozen=True)
class MenteeState:
    """A mentee as their events describe them; version 0 means no such mentee."""

    mentee_id: uuid.UUID | None = None
    version: int = 0
    tenant: Tenant | None = None
    office: str | None = None
    status: str = "unknown"  # registered | withdrawn
    job_target_sector: str | None = None
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[str, ...] = ()
    age_band: str | None = None
    consents: tuple[str, ...] = ()
    registered_at: datetime | None = None
    withdrawal_reason: str | None = None

    @property
    def ready_for_matching(self) -> bool:
        """A registered mentee can be matched straight away."""
        return self.status == "registered"


@dataclass(frozen=True)
class MentorState:
    """A mentor as their events describe them; version 0 means no such mentor."""

    mentor_id: uuid.UUID | None = None
    version: int = 0
    tenant: Tenant | None = None
    office: str | None = None
    status: str = "unknown"  # in_training | ready | withdrawn
    experience: tuple[SectorExperience, ...] = ()
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[str, ...] = ()
    capacity: int = 1
    age_band: str | None = None
    consents: tuple[str, ...] = ()
    modules_completed: tuple[str, ...] = ()
    training_completed: bool = False
    registered_at: datetime | None = None
    withdrawal_reason: str | None = None

    @property
    def sectors(self) -> tuple[str, ...]:
        """The NACE sections the mentor has experience in."""
        return tuple(e.sector for e in self.experience)

    @property
    def ready_for_matching(self) -> bool:
        """Only a trained mentor who has not withdrawn can be matched."""
        return self.status == "ready"


def _changes(event: MenteeProfileChanged | MentorProfileChanged, *names: str) -> dict:
    return {name: getattr(event, name) for name in names if getattr(event, name) is not None}


def _apply_mentee(state: MenteeState, envelope: EventEnvelope) -> MenteeState:
    event = envelope.payload()
    state = replace(state, version=envelope.stream_version)
    match event:
        case MenteeRegistered():
            return replace(
                state, mentee_id=event.mentee_id, tenant=envelope.tenant, office=envelope.office, status="registered",
                job_target_sector=event.job_target_sector, languages=event.languages,
                weekly_availability_hours=event.weekly_availability_hours,
                available_day_parts=event.available_day_parts, age_band=event.age_band, consents=event.consents,
                registered_at=envelope.occurred_at,
            )
        case MenteeProfileChanged():
            return replace(state, **_changes(
                event, "job_target_sector", "languages", "weekly_availability_hours", "available_day_parts"))
        case MenteeWithdrawn():
            return replace(state, status="withdrawn", withdrawal_reason=event.reason)
    return state  # an event type added later that this version does not know changes nothing here


def _apply_mentor(state: MentorState, envelope: EventEnvelope) -> MentorState:
    event = envelope.payload()
    state = replace(state, version=envelope.stream_version)
    match event:
        case MentorRegistered():
            return replace(
                state, mentor_id=event.mentor_id, tenant=envelope.tenant, office=envelope.office, status="in_training",
                experience=event.experience, languages=event.languages,
                weekly_availability_hours=event.weekly_availability_hours,
                available_day_parts=event.available_day_parts, capacity=event.capacity, age_band=event.age_band,
                consents=event.consents, registered_at=envelope.occurred_at,
            )
        case MentorProfileChanged():
            return replace(state, **_changes(
                event, "experience", "languages", "weekly_availability_hours", "available_day_parts", "capacity"))
        case MentorTrainingModuleCompleted():
            return replace(state, modules_completed=(*state.modules_completed, event.module))
        case MentorTrainingCompleted():
            return replace(state, training_completed=True, status="ready" if state.status == "in_training" else state.status)
        case MentorWithdrawn():
            return replace(state, status="withdrawn", withdrawal_reason=event.reason)
    return state


def mentee_state(envelopes: Iterable[EventEnvelope], state: MenteeState | None = None) -> MenteeState:
    """Fold a mentee's events, in stream order, onto a state (a fresh one by default)."""
    state = state or MenteeState()
    for envelope in envelopes:
        state = _apply_mentee(state, envelope)
    return state


def mentor_state(envelopes: Iterable[EventEnvelope], state: MentorState | None = None) -> MentorState:
    """Fold a mentor's events, in stream order, onto a state (a fresh one by default)."""
    state = state or MentorState()
    for envelope in envelopes:
        state = _apply_mentor(state, envelope)
    return state
