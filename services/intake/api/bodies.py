"""Intake's request bodies: each turns into one command (registrations, changes, withdrawals, training)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal, Self, cast

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.intake.api.examples import MENTEE_EXAMPLE, MENTOR_EXAMPLE
from services.intake.api.fields import (
    CountryCode,
    Email,
    Languages,
    NaceCode,
    Name,
    Occupation,
    Office,
    Phone,
    PlausibleDate,
    personal,
)
from services.intake.domain.commands import (
    RESIDENCE_PERMITS,
    Availability,
    ChangeMenteeProfile,
    ChangeMentorProfile,
    Consents,
    JobOutcome,
    MigrationBackground,
    PersonalDetails,
    RecordInformationSession,
    RecordIntakeInterview,
    RecordMentorEmployment,
    RecordTargetGroup,
    RegisterMentee,
    RegisterMentor,
    TrainingOutcome,
    WithdrawMentee,
)
from services.intake.domain.training import TRAINING_MODULES
from shared.events.catalog import (
    ContractType,
    DayPart,
    ErasureReason,
    InterviewOutcome,
    InterviewReason,
    MentorEmploymentStatus,
    SectorExperience,
    TimeSinceLastJob,
    WithdrawalReason,
)
from shared.nace import NaceSection


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored.

    Types are strict, as JSON has them: a boolean is true or false (not "yes", 1 or "true"), a
    number a JSON number (not "3"; not true), a date a string YYYY-MM-DD (fields.PlausibleDate).
    FastAPI validates the parsed JSON in pydantic's Python mode, whose lax coercions would take them.
    """

    model_config = ConfigDict(extra="forbid")


class WeeklyAvailability(Body):
    """Hours a week the person can give, and when."""

    hours_per_week: StrictFloat = Field(gt=0, le=40, examples=[3])
    day_parts: list[DayPart] = Field(default_factory=list, max_length=21, examples=[["tue-evening", "sat-morning"]])

    def value(self) -> Availability:
        return Availability(self.hours_per_week, tuple(dict.fromkeys(self.day_parts)))


class JobTarget(Body):
    """The sector (NACE Rev. 2 section) and occupation the mentee aims for."""

    sector: NaceCode
    occupation: Occupation = personal(examples=["nursing assistant"])


class Consent(Body):
    """Explicit consents; both must be true."""

    data_processing: StrictBool = Field(examples=[True])
    voluntary_participation: StrictBool = Field(examples=[True])

    def value(self) -> Consents:
        return Consents(self.data_processing, self.voluntary_participation)


class Experience(Body):
    """Years of professional experience in one NACE section."""

    sector: NaceCode
    years: StrictInt = Field(ge=0, le=70, examples=[25])


class PersonBody(Body):
    """Contact and birth date: personal data, kept in intake only."""

    first_name: Name = personal(examples=["Amina"])
    last_name: Name = personal(examples=["El Idrissi"])
    email: Email = personal(examples=["amina.elidrissi@example.org"])
    phone: Phone | None = personal(default=None, examples=["+32 470 12 34 56"])
    birth_date: PlausibleDate = personal(examples=["1999-04-12"])

    def personal_details(self) -> PersonalDetails:
        return PersonalDetails(self.first_name, self.last_name, self.email, self.phone, self.birth_date)


class MenteeApplication(PersonBody):
    """A job seeker's application to become a mentee."""

    model_config = ConfigDict(json_schema_extra={"examples": [MENTEE_EXAMPLE]})

    nationalities: list[CountryCode] = personal(
        default=None,
        min_length=1,
        max_length=10,
        description="ISO 3166-1 alpha-2 codes, one or more; or leave out and send stateless: true",
        examples=[["MA"], ["BE", "MA"]],
    )
    stateless: StrictBool = personal(default=False, description="true for a person with no nationality")
    nationality: CountryCode = personal(
        default=None, description="deprecated: the older form of `nationalities` with one code; still accepted"
    )
    parent_or_grandparent_born_outside_eu: StrictBool = personal(default=False)
    residence_permit: Literal[RESIDENCE_PERMITS] = personal(examples=["long_term"])  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    languages: Languages = Field(examples=[["fr", "ar", "en"]])
    office: Office
    job_target: JobTarget
    availability: WeeklyAvailability
    consent: Consent

    @model_validator(mode="after")
    def _nationalities_or_stateless(self) -> Self:
        if self.nationality is not None and self.nationalities is not None:
            raise PydanticCustomError(
                "one_nationality_field", "give nationalities (a list) or the older nationality, not both"
            )
        if self.nationality is not None:
            self.nationalities = [self.nationality]
            self.nationality = None
        if self.stateless and self.nationalities:
            raise PydanticCustomError("stateless_without_nationality", "a stateless person has no nationalities")
        if not self.stateless and not self.nationalities:
            raise PydanticCustomError(
                "nationality_required", "give nationalities (at least one ISO code) or stateless: true"
            )
        return self

    def command(self) -> RegisterMentee:
        background = MigrationBackground(
            tuple(dict.fromkeys(self.nationalities or ())),
            self.parent_or_grandparent_born_outside_eu,
            self.residence_permit,
            self.stateless,
        )
        return RegisterMentee(
            uuid.uuid4(),
            uuid.uuid4(),
            self.office,
            self.personal_details(),
            background,
            tuple(self.languages),
            cast(NaceSection, self.job_target.sector),
            self.job_target.occupation,
            self.availability.value(),
            self.consent.value(),
        )


class MentorApplication(PersonBody):
    """A volunteer's registration as a mentor."""

    model_config = ConfigDict(json_schema_extra={"examples": [MENTOR_EXAMPLE]})

    experience: list[Experience] = Field(min_length=1, max_length=21)
    languages: Languages = Field(examples=[["nl", "fr", "en"]])
    office: Office
    availability: WeeklyAvailability
    capacity: StrictInt = Field(default=1, ge=1, le=10, description="duos at a time")
    consent: Consent

    def command(self) -> RegisterMentor:
        return RegisterMentor(
            uuid.uuid4(),
            self.office,
            self.personal_details(),
            experience_of(self.experience),
            tuple(self.languages),
            self.availability.value(),
            self.capacity,
            self.consent.value(),
            application_id=uuid.uuid4(),
        )


def experience_of(items: list[Experience]) -> tuple[SectorExperience, ...]:
    # One entry per sector: a repeated sector keeps its longest experience.
    years: dict[NaceSection, int] = {}  # NaceCode's validator admits only sections
    for item in items:
        sector = cast(NaceSection, item.sector)
        years[sector] = max(item.years, years.get(sector, 0))
    return tuple(SectorExperience(sector=sector, years=n) for sector, n in years.items())


class ProfileChange(Body):
    """A partial change: the fields given change, the ones left out stay; at least one must be given."""

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_not_a_change(cls, value: object) -> object:
        # Only values sent reach this: a field left out keeps its default without validation.
        if value is None:
            raise PydanticCustomError("not_null", "null is not a change: leave the field out to keep its value")
        return value

    @model_validator(mode="after")
    def _something_changes(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("at_least_one_field", "give at least one field to change")
        return self


class MenteeChange(ProfileChange):
    """Change a mentee's languages, job target or availability."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"availability": {"hours_per_week": 4, "day_parts": ["wed-evening"]}}]}
    )

    # Not Optional: null is refused (see ProfileChange), so the schema must not offer it; a
    # field left out keeps the default None, which pydantic does not validate.
    languages: Languages = None  # type: ignore[assignment]
    job_target: JobTarget = None  # type: ignore[assignment]
    availability: WeeklyAvailability = None  # type: ignore[assignment]

    def command(self, mentee_id: uuid.UUID) -> ChangeMenteeProfile:
        target = self.job_target
        return ChangeMenteeProfile(
            mentee_id,
            tuple(self.languages) if self.languages else None,
            cast(NaceSection, target.sector) if target else None,
            target.occupation if target else None,
            self.availability.value() if self.availability else None,
        )


class MentorChange(ProfileChange):
    """Change a mentor's languages, experience, availability or capacity."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"capacity": 2}]})

    # Not Optional, for the reason MenteeChange gives: null is refused, left out means unchanged.
    languages: Languages = None  # type: ignore[assignment]
    experience: list[Experience] = Field(default=None, min_length=1, max_length=21)  # type: ignore[arg-type]
    availability: WeeklyAvailability = None  # type: ignore[assignment]
    capacity: StrictInt = Field(default=None, ge=1, le=10)  # type: ignore[assignment]

    def command(self, mentor_id: uuid.UUID) -> ChangeMentorProfile:
        return ChangeMentorProfile(
            mentor_id,
            tuple(self.languages) if self.languages else None,
            experience_of(self.experience) if self.experience else None,
            self.availability.value() if self.availability else None,
            self.capacity,
        )


class Erasure(Body):
    """Why the person's personal data is erased (GDPR art. 17)."""

    reason: ErasureReason = Field(examples=["data_subject_request"])


class JobFoundBefore(Body):
    """The job a mentee found before any duo: the fields of tracking's JobFound."""

    sector: NaceCode
    contract_type: ContractType = Field(examples=["permanent"])
    contract_months: StrictInt | None = Field(
        default=None, ge=1, le=120, description="fixed_term only, and then required"
    )
    hours_per_week: StrictFloat = Field(gt=0, le=60, examples=[38])
    started_on: PlausibleDate

    def value(self) -> JobOutcome:
        return JobOutcome(
            cast(NaceSection, self.sector),
            self.contract_type,
            self.hours_per_week,
            self.started_on,
            self.contract_months,
        )


class TrainingStartedBefore(Body):
    """The training a mentee started before any duo: the fields of tracking's TrainingStarted."""

    started_on: PlausibleDate
    qualifying: StrictBool


class Withdrawal(Body):
    """Why the person leaves the programme."""

    reason: WithdrawalReason = Field(examples=["found_work"])


class MenteeWithdrawal(Withdrawal):
    """Why a mentee leaves; found_work needs `job`, started_training needs `training` (MenteeOutcomeBeforeDuo)."""

    job: JobFoundBefore | None = None
    training: TrainingStartedBefore | None = None

    @model_validator(mode="after")
    def _one_outcome(self) -> Self:
        if self.job is not None and self.training is not None:
            raise PydanticCustomError("one_outcome", "give a job or a training, not both")
        return self

    def command(self, mentee_id: uuid.UUID) -> WithdrawMentee:
        outcome: JobOutcome | TrainingOutcome | None = None
        if self.job is not None:
            outcome = self.job.value()
        elif self.training is not None:
            outcome = TrainingOutcome(self.training.started_on, self.training.qualifying)
        return WithdrawMentee(mentee_id, self.reason, outcome)


class InformationSession(Body):
    """The day the mentee attended the information session (the branch's today if left out)."""

    attended_on: PlausibleDate | None = None

    def command(self, mentee_id: uuid.UUID, today: date) -> RecordInformationSession:
        return RecordInformationSession(mentee_id, self.attended_on or today)


class IntakeInterview(Body):
    """The intake interview: when (the branch's today if left out), its outcome, and a coded reason unless
    suitable."""

    held_on: PlausibleDate | None = None
    outcome: InterviewOutcome = Field(examples=["suitable"])
    reason: InterviewReason | None = Field(default=None, description="required unless the outcome is suitable")

    def command(self, mentee_id: uuid.UUID, today: date) -> RecordIntakeInterview:
        return RecordIntakeInterview(mentee_id, self.held_on or today, self.outcome, self.reason)


class TrainingModuleAttended(Body):
    """A training module the mentor completed: on `completed_on`, or today (the branch's) if none is given."""

    module: Literal[tuple(TRAINING_MODULES)] = Field(examples=["active_listening"])  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    completed_on: PlausibleDate | None = None


class TrainingModulesAttended(Body):
    """Several modules at once (a training day or weekend), each as `TrainingModuleAttended`."""

    modules: list[TrainingModuleAttended] = Field(min_length=1, max_length=16, description="1 to 16 modules")


class TargetGroup(Body):
    """The mentee's target-group facts, recorded only with their consent (`consent`: true; false records nothing
    and is refused naming it). Reported as counts only."""

    consent: StrictBool = Field(examples=[True], description="the mentee consents to these facts being recorded")
    neet: StrictBool = Field(examples=[True], description="not in employment, education or training")
    long_term_unemployed: StrictBool = Field(examples=[False], description="without a job for 12 months or more")
    time_since_last_job: TimeSinceLastJob = Field(examples=["6_to_12_months"])

    def command(self, mentee_id: uuid.UUID) -> RecordTargetGroup:
        return RecordTargetGroup(
            mentee_id, self.consent, self.neet, self.long_term_unemployed, self.time_since_last_job
        )


class MentorEmployment(Body):
    """A mentor's employment status now; an employed mentor's employer (personal data: where the mentor works) and
    whether it releases them for the mentoring (employer-supported volunteering)."""

    status: MentorEmploymentStatus = Field(
        examples=["employed"], description="employed and self_employed: still working"
    )
    employer_released: StrictBool = Field(
        default=False, description="the employer gives the mentor time for the mentoring (employed only)"
    )
    employer: Occupation | None = personal(
        default=None, examples=["Stad Antwerpen"], description="the employer's name (employed only)"
    )

    def command(self, mentor_id: uuid.UUID) -> RecordMentorEmployment:
        return RecordMentorEmployment(mentor_id, self.status, self.employer_released, self.employer)


class Rejoin(Body):
    """Rejoining takes no fields: the person's data and the rules in force decide."""
