"""What a coordinator asks intake to do: one frozen dataclass per command. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from shared.events.catalog import SectorExperience

# Residence status as the coordinator records it at intake. "long_term" covers the
# unlimited permits (in Belgium cards B, C, D, F+, K, L, M); international protection
# is listed apart because reporting slices on it (DOMAIN.md: 42% of 2021's mentees).
RESIDENCE_PERMITS = (
    "citizen", "eu_citizen", "long_term", "international_protection", "temporary", "asylum_seeker", "none",
)


@dataclass(frozen=True)
class PersonalDetails:
    """Who the person is and how to reach them: kept in intake's personal-data table only (docs/adr/0006)."""

    first_name: str
    last_name: str
    email: str
    phone: str | None
    birth_date: date


@dataclass(frozen=True)
class MigrationBackground:
    """The facts the non-EU background and residence rules read; personal data too."""

    nationality: str  # ISO 3166-1 alpha-2
    parent_or_grandparent_born_outside_eu: bool
    residence_permit: str


@dataclass(frozen=True)
class Availability:
    """How much time a person has each week, and when."""

    hours_per_week: float
    day_parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Consents:
    """The two explicit consents the programme needs before registering anyone."""

    data_processing: bool
    voluntary_participation: bool


@dataclass(frozen=True)
class RegisterMentee:
    """A job seeker applies; registered as a mentee if eligible, otherwise the refusal is recorded."""

    mentee_id: uuid.UUID
    application_id: uuid.UUID
    office: str
    personal: PersonalDetails
    background: MigrationBackground
    languages: tuple[str, ...]
    job_target_sector: str
    job_target_occupation: str
    availability: Availability
    consents: Consents


@dataclass(frozen=True)
class RegisterMentor:
    """A volunteer aged 50 or more registers as a mentor."""

    mentor_id: uuid.UUID
    office: str
    personal: PersonalDetails
    experience: tuple[SectorExperience, ...]
    languages: tuple[str, ...]
    availability: Availability
    capacity: int
    consents: Consents


@dataclass(frozen=True)
class ChangeMenteeProfile:
    """Change some of a mentee's matching data; None leaves a field as it is."""

    mentee_id: uuid.UUID
    languages: tuple[str, ...] | None = None
    job_target_sector: str | None = None
    job_target_occupation: str | None = None
    availability: Availability | None = None


@dataclass(frozen=True)
class ChangeMentorProfile:
    """Change some of a mentor's matching data; None leaves a field as it is."""

    mentor_id: uuid.UUID
    languages: tuple[str, ...] | None = None
    experience: tuple[SectorExperience, ...] | None = None
    availability: Availability | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class RecordTrainingModule:
    """A mentor attended one of the eight half-day training modules."""

    mentor_id: uuid.UUID
    module: str
    completed_on: date


@dataclass(frozen=True)
class Withdraw:
    """A mentee or mentor leaves the programme, for a reason."""

    person_id: uuid.UUID
    reason: str
