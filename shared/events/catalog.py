"""The catalog: every domain event the services exchange, one frozen model per type.

Events that leave a service carry what others need to match and count (ids,
office, sector, languages, availability, age band), never names, contact details
or exact birth dates: those stay in intake (see docs/adr/0006).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from shared.events.envelope import DomainEvent
from shared.events.registry import EVENT_REGISTRY

NaceSection = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U"]
AgeBand = Literal["18-24", "25-29", "30-33", "34+", "50-54", "55-59", "60-64", "65-69", "70+", "under-18", "35-49"]


@EVENT_REGISTRY.register
class MenteeRegistered(DomainEvent):
    """A job seeker was found eligible and registered as a mentee."""

    mentee_id: uuid.UUID
    job_target_sector: NaceSection | None = None
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    age_band: AgeBand | None = None


@EVENT_REGISTRY.register
class MentorRegistered(DomainEvent):
    """A volunteer aged 50 or more registered as a mentor."""

    mentor_id: uuid.UUID
    sectors: tuple[NaceSection, ...] = ()
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    capacity: int = Field(default=1, ge=1, le=10)
    age_band: AgeBand | None = None


@EVENT_REGISTRY.register
class MentorTrainingCompleted(DomainEvent):
    """A mentor finished all eight half-day training modules and can be matched."""

    mentor_id: uuid.UUID


@EVENT_REGISTRY.register
class DuoFormed(DomainEvent):
    """A mentee and a mentor both accepted a proposed match."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    sector: NaceSection | None = None


@EVENT_REGISTRY.register
class MeetingLogged(DomainEvent):
    """A duo met (in person or online) on a date, about some topics."""

    duo_id: uuid.UUID
    met_on: date
    duration_minutes: int = Field(ge=1, le=24 * 60)
    mode: Literal["in_person", "online"]
    topics: tuple[str, ...] = ()


@EVENT_REGISTRY.register
class JobFound(DomainEvent):
    """A mentee found a job; contract type and length decide whether it counts as sustainable."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    contract_type: Literal["permanent", "fixed_term", "interim", "other"]
    contract_months: int | None = Field(default=None, ge=0)
    started_on: date
