"""What a coordinator asks intake to do: one frozen dataclass per command. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from shared.commanding.errors import FieldProblem
from shared.commanding.handlers import Command
from shared.events.catalog import (
    ContractType,
    ErasureReason,
    InterviewOutcome,
    InterviewReason,
    SectorExperience,
    WithdrawalReason,
)
from shared.nace import NaceSection

if TYPE_CHECKING:
    # What the handlers answer, named in quotes below (a real import would be a cycle: the modules folding them
    # import these commands). Ruff does not read names inside a quoted base class, hence the noqa.
    from services.intake.domain.mentee import MenteeState  # noqa: F401  (used in the quoted bases)
    from services.intake.domain.mentor import MentorState  # noqa: F401

P = TypeVar("P")  # the registered person's state

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

    nationalities: tuple[str, ...]  # ISO 3166-1 alpha-2, one or more; empty only when stateless
    parent_or_grandparent_born_outside_eu: bool
    residence_permit: str
    stateless: bool = False

    def as_record(self) -> dict[str, Any]:
        """As stored in the vault (the single `nationality` of records kept before is read by `from_record`)."""
        return {
            "nationalities": list(self.nationalities),
            "stateless": self.stateless,
            "parent_or_grandparent_born_outside_eu": self.parent_or_grandparent_born_outside_eu,
            "residence_permit": self.residence_permit,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> MigrationBackground:
        """Read back from the vault, records with the older single `nationality` included."""
        nationalities = data.get("nationalities")
        if nationalities is None:
            nationalities = [data["nationality"]] if data.get("nationality") else []
        return cls(
            tuple(nationalities),
            bool(data.get("parent_or_grandparent_born_outside_eu", False)),
            str(data.get("residence_permit", "none")),
            bool(data.get("stateless", False)),
        )


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
class Registration(Generic[P]):
    """What a registration answers: the registered person, or the rules a refused application failed (recorded
    under its application id)."""

    person: P | None = None
    refused: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True)
class RegisterMentee(Command["Registration[MenteeState]"]):
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
            **self.background.as_record(),
            "job_target_occupation": self.job_target_occupation,
        }


@dataclass(frozen=True)
class RegisterMentor(Command["Registration[MentorState]"]):
    """A volunteer aged 50 or more registers as a mentor; a refusal is recorded under `application_id`."""

    mentor_id: uuid.UUID
    office: str
    personal: PersonalDetails
    experience: tuple[SectorExperience, ...]
    languages: tuple[str, ...]
    availability: Availability
    capacity: int
    consents: Consents
    application_id: uuid.UUID | None = None  # where a refusal is recorded; the mentor id if not given

    @property
    def application(self) -> uuid.UUID:
        """The id a refused application is recorded under."""
        return self.application_id or self.mentor_id

    def personal_data(self) -> dict[str, Any]:
        """What intake keeps about the mentor in its personal-data vault and publishes nowhere."""
        return self.personal.as_record()


@dataclass(frozen=True)
class ChangeMenteeProfile(Command["MenteeState"]):
    """Change some of a mentee's matching data; None leaves a field as it is."""

    mentee_id: uuid.UUID
    languages: tuple[str, ...] | None = None
    job_target_sector: NaceSection | None = None
    job_target_occupation: str | None = None
    availability: Availability | None = None


@dataclass(frozen=True)
class ChangeMentorProfile(Command["MentorState"]):
    """Change some of a mentor's matching data; None leaves a field as it is."""

    mentor_id: uuid.UUID
    languages: tuple[str, ...] | None = None
    experience: tuple[SectorExperience, ...] | None = None
    availability: Availability | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class RecordTrainingModule(Command["MentorState"]):
    """A mentor attended one of the eight half-day training modules."""

    mentor_id: uuid.UUID
    module: str
    completed_on: date


@dataclass(frozen=True)
class RecordTrainingModules(Command["MentorState"]):
    """Several modules at once (a training day or weekend), each as `RecordTrainingModule`: all or none."""

    mentor_id: uuid.UUID
    modules: tuple[RecordTrainingModule, ...]


@dataclass(frozen=True)
class RecordInformationSession(Command["MenteeState"]):
    """A mentee attended the programme's information session (the first step before matching)."""

    mentee_id: uuid.UUID
    attended_on: date


@dataclass(frozen=True)
class RecordIntakeInterview(Command["MenteeState"]):
    """A coordinator held the intake interview with a mentee; `reason` is required unless suitable."""

    mentee_id: uuid.UUID
    held_on: date
    outcome: InterviewOutcome
    reason: InterviewReason | None = None


@dataclass(frozen=True)
class JobOutcome:
    """A job found before any duo: the fields of tracking's JobFound."""

    sector: NaceSection
    contract_type: ContractType
    hours_per_week: float
    started_on: date
    contract_months: int | None = None


@dataclass(frozen=True)
class TrainingOutcome:
    """A training started before any duo: the fields of tracking's TrainingStarted."""

    started_on: date
    qualifying: bool


@dataclass(frozen=True)
class WithdrawMentee(Command["MenteeState"]):
    """A mentee leaves the programme, for a reason; found_work and started_training bring their outcome."""

    mentee_id: uuid.UUID
    reason: WithdrawalReason
    outcome: JobOutcome | TrainingOutcome | None = None


@dataclass(frozen=True)
class RejoinMentee(Command["MenteeState"]):
    """A mentee who withdrew comes back, on the same id; eligibility is checked again."""

    mentee_id: uuid.UUID


@dataclass(frozen=True)
class RejoinMentor(Command["MentorState"]):
    """A mentor who withdrew comes back, on the same id; eligibility is checked again."""

    mentor_id: uuid.UUID


@dataclass(frozen=True)
class WithdrawMentor(Command["MentorState"]):
    """A mentor leaves the programme, for a reason."""

    mentor_id: uuid.UUID
    reason: WithdrawalReason


@dataclass(frozen=True)
class EraseMentee(Command["MenteeState"]):
    """Erase a mentee's personal data everywhere it is kept; their facts stay, anonymous."""

    mentee_id: uuid.UUID
    reason: ErasureReason


@dataclass(frozen=True)
class EraseMentor(Command["MentorState"]):
    """Erase a mentor's personal data everywhere it is kept; their facts stay, anonymous."""

    mentor_id: uuid.UUID
    reason: ErasureReason


@dataclass(frozen=True)
class RecordMentorEmployment(Command["MentorState"]):
    """A mentor's employment status now, whether their employer releases them for the mentoring, and (employed
    only) the employer's name, kept with the mentor's personal data."""

    mentor_id: uuid.UUID
    status: str
    employer_released: bool = False
    employer: str | None = None


@dataclass(frozen=True)
class RecordTargetGroup(Command["MenteeState"]):
    """The mentee's target-group facts, with whether the mentee consents to their being recorded."""

    mentee_id: uuid.UUID
    consent: bool
    neet: bool
    long_term_unemployed: bool
    time_since_last_job: str


@dataclass(frozen=True)
class WithdrawTargetGroupConsent(Command["MenteeState"]):
    """The mentee withdraws their consent to the target-group facts."""

    mentee_id: uuid.UUID
