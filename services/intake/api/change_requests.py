"""Intake's bodies for changes to registered people: profile changes, withdrawals, training modules."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.intake.api.fields import Languages, PlausibleDate
from services.intake.api.requests import (
    Body,
    Experience,
    JobTarget,
    WeeklyAvailability,
    experience_of,
)
from services.intake.commands import ChangeMenteeProfile, ChangeMentorProfile
from services.intake.training import TRAINING_MODULES
from shared.events.catalog import WithdrawalReason


class ProfileChange(Body):
    """A partial change: the fields given change, the ones left out stay; at least one must be given."""

    @field_validator("*", mode="before")
    @classmethod
    def _null_is_not_a_change(cls, value):
        # Only values sent reach this: a field left out keeps its default without validation.
        if value is None:
            raise PydanticCustomError("not_null", "null is not a change: leave the field out to keep its value")
        return value

    @model_validator(mode="after")
    def _something_changes(self):
        if not self.model_fields_set:
            raise PydanticCustomError("at_least_one_field", "give at least one field to change")
        return self


class MenteeChange(ProfileChange):
    """Change a mentee's languages, job target or availability."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"availability": {"hours_per_week": 4, "day_parts": ["wed-evening"]}}]})

    # Not Optional: null is refused (see ProfileChange), so the schema must not offer it; a
    # field left out keeps the default None, which pydantic does not validate.
    languages: Languages = None
    job_target: JobTarget = None
    availability: WeeklyAvailability = None

    def command(self, mentee_id: uuid.UUID) -> ChangeMenteeProfile:
        target = self.job_target
        return ChangeMenteeProfile(
            mentee_id, tuple(self.languages) if self.languages else None, target and target.sector,
            target and target.occupation, self.availability and self.availability.value(),
        )


class MentorChange(ProfileChange):
    """Change a mentor's languages, experience, availability or capacity."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"capacity": 2}]})

    languages: Languages = None
    experience: list[Experience] = Field(default=None, min_length=1, max_length=21)
    availability: WeeklyAvailability = None
    capacity: int = Field(default=None, ge=1, le=10)

    def command(self, mentor_id: uuid.UUID) -> ChangeMentorProfile:
        return ChangeMentorProfile(
            mentor_id, tuple(self.languages) if self.languages else None,
            experience_of(self.experience) if self.experience else None,
            self.availability and self.availability.value(), self.capacity,
        )


class Withdrawal(Body):
    """Why the person leaves the programme."""

    reason: WithdrawalReason = Field(examples=["found_work"])


class TrainingModuleAttended(Body):
    """A training module the mentor completed: on `completed_on`, or today (the branch's) if none is given."""

    module: Literal[tuple(TRAINING_MODULES)] = Field(examples=["active_listening"])
    completed_on: PlausibleDate | None = None
