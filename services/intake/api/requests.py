"""Intake's registration bodies and the parts they share; each turns into one command.

Changes, withdrawals and training modules: change_requests.py.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
from services.intake.commands import (
    RESIDENCE_PERMITS,
    Availability,
    Consents,
    MigrationBackground,
    PersonalDetails,
    RegisterMentee,
    RegisterMentor,
)
from shared.events.catalog import DayPart, SectorExperience


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class WeeklyAvailability(Body):
    """Hours a week the person can give, and when."""

    hours_per_week: float = Field(gt=0, le=40, examples=[3])
    day_parts: list[DayPart] = Field(default_factory=list, max_length=21, examples=[["tue-evening", "sat-morning"]])

    def value(self) -> Availability:
        return Availability(self.hours_per_week, tuple(dict.fromkeys(self.day_parts)))


class JobTarget(Body):
    """The sector (NACE Rev. 2 section) and occupation the mentee aims for."""

    sector: NaceCode
    occupation: Occupation = personal(examples=["nursing assistant"])


class Consent(Body):
    """Explicit consents; both must be true."""

    data_processing: bool = Field(examples=[True])
    voluntary_participation: bool = Field(examples=[True])

    def value(self) -> Consents:
        return Consents(self.data_processing, self.voluntary_participation)


class Experience(Body):
    """Years of professional experience in one NACE section."""

    sector: NaceCode
    years: int = Field(ge=0, le=70, examples=[25])


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

    nationality: CountryCode = personal()
    parent_or_grandparent_born_outside_eu: bool = personal(default=False)
    residence_permit: Literal[RESIDENCE_PERMITS] = personal(examples=["long_term"])
    languages: Languages = Field(examples=[["fr", "ar", "en"]])
    office: Office
    job_target: JobTarget
    availability: WeeklyAvailability
    consent: Consent

    def command(self) -> RegisterMentee:
        background = MigrationBackground(self.nationality, self.parent_or_grandparent_born_outside_eu, self.residence_permit)
        return RegisterMentee(
            uuid.uuid4(), uuid.uuid4(), self.office, self.personal_details(), background, tuple(self.languages),
            self.job_target.sector, self.job_target.occupation, self.availability.value(), self.consent.value(),
        )


class MentorApplication(PersonBody):
    """A volunteer's registration as a mentor."""

    model_config = ConfigDict(json_schema_extra={"examples": [MENTOR_EXAMPLE]})

    experience: list[Experience] = Field(min_length=1, max_length=21)
    languages: Languages = Field(examples=[["nl", "fr", "en"]])
    office: Office
    availability: WeeklyAvailability
    capacity: int = Field(default=1, ge=1, le=10, description="duos at a time")
    consent: Consent

    def command(self) -> RegisterMentor:
        return RegisterMentor(
            uuid.uuid4(), self.office, self.personal_details(), experience_of(self.experience), tuple(self.languages),
            self.availability.value(), self.capacity, self.consent.value(),
        )


def experience_of(items: list[Experience]) -> tuple[SectorExperience, ...]:
    # One entry per sector: a repeated sector keeps its longest experience.
    years: dict[str, int] = {}
    for item in items:
        years[item.sector] = max(item.years, years.get(item.sector, 0))
    return tuple(SectorExperience(sector=sector, years=n) for sector, n in years.items())
