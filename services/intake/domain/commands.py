"""What a coordinator asks intake to do: one frozen dataclass per command. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from shared.events.catalog import ErasureReason, SectorExperience, WithdrawalReason
from shared.nace import NaceSection

# Residence status as the coordinator records it at intake. "long_term" covers the
# unlimited permits (in Belgium cards B, C, D, F+, K, L, M); international protection
# is listed apart because reporting slices on it (docs/domain.md: 42% of 2021's mentees).
RESIDENCE_PERMITS = (
    "citizen",
    "eu_citizen",
    "long_term",
    "international_protection",
    "temporary",
    "asylum_seeker",
    "none",
)


@dataclass(frozen=True)
class PersonalDetails:
    """Who the person is and how to reach them: kept in intake's personal-data vault only (docs/adr/0006)."""

    first_name: str
    last_name: str
    email: str
    phone: str | None
    birth_date: date

    def as_record(self) -> dict[str, Any]:
        """As stored: the birth date as an ISO string."""
        return {**asdict(self), "birth_date": self.birth_date.isoformat()}


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
    job_target_sector: NaceSection
    job_target_occupation: str
    availability: Availability
    consents: Consents

    def personal_data(self) -> dict[str, Any]:
        """What intake keeps about the mentee in its personal-data vault and publishes nowhere."""
        return {
            **self.personal.as_record(),
            **asdict(self.background),
            "job_target_occupation": self.job_target_occupation,
        }


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

    def personal_data(self) -> dict[str, Any]:
        """What intake keeps about the mentor in its personal-data vault and publishes nowhere."""
        return self.personal.as_record()


@dataclass(frozen=True)
class ChangeMenteeProfile:
    """Change some of a mentee's matching data; None leaves a field as it is."""

    mentee_id: uuid.UUID
    languages: tuple[str, ...] | None = None
    job_target_sector: NaceSection | None = None
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
class WithdrawMentee:
    """A mentee leaves the programme, for a reason."""

    mentee_id: uuid.UUID
    reason: WithdrawalReason


@dataclass(frozen=True)
class WithdrawMentor:
    """A mentor leaves the programme, for a reason."""

    mentor_id: uuid.UUID
    reason: WithdrawalReason


@dataclass(frozen=True)
class EraseMentee:
    """Erase a mentee's personal data everywhere it is kept; their facts stay, anonymous."""

    mentee_id: uuid.UUID
    reason: ErasureReason


@dataclass(frozen=True)
class EraseMentor:
    """Erase a mentor's personal data everywhere it is kept; their facts stay, anonymous."""

    mentor_id: uuid.UUID
    reason: ErasureReason
