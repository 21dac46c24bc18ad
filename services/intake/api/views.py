"""Intake's answers. Answers to commands carry ids and matching data only (they are kept for Idempotency-Key
replays); only the profile read by id adds the personal data."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from services.intake.domain.mentee import MenteeState
from services.intake.domain.mentor import MentorState
from services.intake.domain.training import TRAINING_MODULES
from shared.events.catalog import SectorExperience


def _tenant(state: MenteeState | MentorState) -> str:
    assert state.tenant is not None, "a registered person has a branch"
    return state.tenant.value


def _registered_at(state: MenteeState | MentorState) -> datetime:
    assert state.registered_at is not None, "a registered person has a registration time"
    return state.registered_at


class Availability(BaseModel):
    hours_per_week: float | None
    day_parts: list[str]


class TargetGroupView(BaseModel):
    """A mentee's target-group facts, recorded with their consent."""

    neet: bool
    long_term_unemployed: bool
    time_since_last_job: str


class MenteeView(BaseModel):
    """A mentee's matching data and status."""

    mentee_id: uuid.UUID
    version: int
    status: str
    ready_for_matching: bool
    tenant: str
    office: str
    job_target_sector: str | None
    languages: list[str]
    availability: Availability
    age_band: str | None
    consents: list[str]
    registered_at: datetime
    withdrawal_reason: str | None
    rules_version: str | None = None
    information_session_on: date | None = None
    interview_on: date | None = None
    interview_outcome: str | None = None
    interview_reason: str | None = None
    target_group: TargetGroupView | None = None  # None: not recorded (no consent)

    @classmethod
    def of(cls, s: MenteeState) -> MenteeView:
        group = s.target_group
        return cls(
            mentee_id=s.id,
            version=s.version,
            status=s.status,
            ready_for_matching=s.ready_for_matching,
            tenant=_tenant(s),
            office=s.office or "",
            job_target_sector=s.job_target_sector,
            languages=list(s.languages),
            availability=Availability(
                hours_per_week=s.weekly_availability_hours, day_parts=list(s.available_day_parts)
            ),
            age_band=s.age_band,
            consents=list(s.consents),
            registered_at=_registered_at(s),
            withdrawal_reason=s.withdrawal_reason,
            rules_version=s.rules_version,
            information_session_on=s.information_session_on,
            interview_on=s.interview_on,
            interview_outcome=s.interview_outcome,
            interview_reason=s.interview_reason,
            target_group=None
            if group is None
            else TargetGroupView(
                neet=group.neet,
                long_term_unemployed=group.long_term_unemployed,
                time_since_last_job=group.time_since_last_job,
            ),
        )


class MentorView(BaseModel):
    """A mentor's matching data, training progress and status."""

    mentor_id: uuid.UUID
    version: int
    status: str
    ready_for_matching: bool
    tenant: str
    office: str
    experience: list[SectorExperience]
    languages: list[str]
    availability: Availability
    capacity: int
    age_band: str | None
    consents: list[str]
    training_modules_completed: list[str]
    training_modules_remaining: list[str]
    training_completed: bool
    registered_at: datetime
    withdrawal_reason: str | None
    rules_version: str | None = None
    employment_status: str | None = None  # None: not recorded
    employer_released: bool = False

    @classmethod
    def of(cls, s: MentorState) -> MentorView:
        return cls(
            mentor_id=s.id,
            version=s.version,
            status=s.status,
            ready_for_matching=s.ready_for_matching,
            tenant=_tenant(s),
            office=s.office or "",
            experience=list(s.experience),
            languages=list(s.languages),
            availability=Availability(
                hours_per_week=s.weekly_availability_hours, day_parts=list(s.available_day_parts)
            ),
            capacity=s.capacity,
            age_band=s.age_band,
            consents=list(s.consents),
            training_modules_completed=list(s.modules_completed),
            training_modules_remaining=[m for m in TRAINING_MODULES if m not in s.modules_completed],
            training_completed=s.training_completed,
            registered_at=_registered_at(s),
            withdrawal_reason=s.withdrawal_reason,
            rules_version=s.rules_version,
            employment_status=s.employment_status,
            employer_released=s.employer_released,
        )


class PersonalData(BaseModel):
    """Personal data as kept in intake; empty once erased."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    nationalities: list[str] | None = None
    stateless: bool | None = None
    nationality: str | None = None  # records kept before nationalities became a list
    parent_or_grandparent_born_outside_eu: bool | None = None
    residence_permit: str | None = None
    job_target_occupation: str | None = None
    employer: str | None = None  # a mentor's, when employed


class MenteeProfile(MenteeView):
    """A mentee's full profile, personal data included."""

    personal: PersonalData


class MentorProfile(MentorView):
    """A mentor's full profile, personal data included."""

    personal: PersonalData


class PersonSummary(BaseModel):
    """One line of a list by office."""

    person_id: uuid.UUID
    kind: str
    first_name: str | None
    last_name: str | None
    office: str
    status: str
    ready_for_matching: bool
    sectors: list[str]
    languages: list[str]
    weekly_availability_hours: float | None
    available_day_parts: list[str]
    capacity: int | None
    age_band: str | None
    version: int
    registered_at: datetime


class PersonPage(BaseModel):
    """A page of people and where the next one starts (null on the last page)."""

    items: list[PersonSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None
