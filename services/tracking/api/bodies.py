"""Tracking's request bodies: unknown fields are refused, each field fails with a rule a client can act on.

The bodies check the shape (types, the fixed lists, ranges); the domain checks the rest
(dates against today and the duo's history, contract length with the contract type).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from shared.events.catalog import (
    ContractType,
    EmploymentStatus,
    EndReason,
    GoalType,
    MeetingMode,
    MeetingTopic,
    PartnerKind,
    ReferralOutcome,
)
from shared.nace import NaceSection


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class Meeting(BaseModel):
    """A meeting of the duo: when, how long, how, and the topics worked on (from the fixed list)."""

    model_config = _examples(
        {
            "met_on": "2026-03-10",
            "duration_minutes": 120,
            "mode": "in_person",
            "topics": ["job_search", "cv_and_applications"],
        }
    )

    met_on: date = Field(examples=["2026-03-10"], description="not in the future, not before the duo was formed")
    duration_minutes: StrictInt = Field(ge=1, le=600, examples=[120], description="1 minute to 10 hours")
    mode: MeetingMode = Field(examples=["in_person"])
    topics: list[MeetingTopic] = Field(min_length=1, max_length=12, examples=[["job_search", "cv_and_applications"]])


class MeetingLog(BaseModel):
    """Several meetings of the duo at once (a mentor's month from their logbook), each as `Meeting`."""

    model_config = _examples(
        {
            "meetings": [
                {"met_on": "2026-03-03", "duration_minutes": 90, "mode": "in_person", "topics": ["job_search"]},
                {"met_on": "2026-03-10", "duration_minutes": 60, "mode": "online", "topics": ["interview_practice"]},
            ]
        }
    )

    meetings: list[Meeting] = Field(min_length=1, max_length=31, description="1 to 31 meetings: a month's logbook")


class ActionPlan(BaseModel):
    """The career action plan, drawn up at the start: coded goals only (no free text)."""

    model_config = _examples(
        {"drawn_up_on": "2026-03-03", "goals": ["find_job_in_sector", "cv_ready", "improve_language"]}
    )

    drawn_up_on: date = Field(examples=["2026-03-03"])
    goals: list[GoalType] = Field(min_length=1, max_length=8, examples=[["find_job_in_sector", "cv_ready"]])


class GoalReached(BaseModel):
    """One goal of the plan was reached."""

    model_config = _examples({"goal": "cv_ready", "reached_on": "2026-04-01"})

    goal: GoalType = Field(examples=["cv_ready"])
    reached_on: date = Field(examples=["2026-04-01"])


class Job(BaseModel):
    """A job the mentee started. `contract_months` is required for a fixed-term contract and refused otherwise."""

    model_config = _examples(
        {
            "sector": "Q",
            "contract_type": "fixed_term",
            "contract_months": 6,
            "hours_per_week": 38,
            "started_on": "2026-05-04",
        },
        {"sector": "H", "contract_type": "permanent", "hours_per_week": 24, "started_on": "2026-05-04"},
    )

    sector: NaceSection = Field(examples=["Q"], description="NACE Rev. 2 section")
    contract_type: ContractType = Field(examples=["fixed_term"])
    contract_months: StrictInt | None = Field(default=None, ge=1, le=120, examples=[6])
    hours_per_week: StrictFloat = Field(gt=0, le=60, examples=[38])
    started_on: date = Field(examples=["2026-05-04"])


class JobEnd(BaseModel):
    """The day a recorded job ended."""

    model_config = _examples({"ended_on": "2026-11-03"})

    ended_on: date = Field(examples=["2026-11-03"])


class Extension(BaseModel):
    """A fixed-term contract extended: its new total length in months."""

    model_config = _examples({"contract_months": 12, "extended_on": "2026-10-20"})

    contract_months: StrictInt = Field(ge=1, le=120, examples=[12])
    extended_on: date = Field(examples=["2026-10-20"])


class Training(BaseModel):
    """A training the mentee started; a qualifying one leads to a recognised qualification."""

    model_config = _examples({"started_on": "2026-09-01", "qualifying": True})

    started_on: date = Field(examples=["2026-09-01"])
    qualifying: StrictBool = Field(examples=[True])


class Internship(BaseModel):
    """An internship the mentee started."""

    model_config = _examples({"started_on": "2026-06-01"})

    started_on: date = Field(examples=["2026-06-01"])


class MenteeSurvey(BaseModel):
    """The mentee's closing survey."""

    model_config = _examples(
        {"more_self_confidence": True, "more_autonomous_job_search": True, "mentor_helped_with_problems": False}
    )

    more_self_confidence: StrictBool
    more_autonomous_job_search: StrictBool
    mentor_helped_with_problems: StrictBool


class MentorSurvey(BaseModel):
    """The mentor's closing survey."""

    model_config = _examples({"feels_useful": True, "adds_professional_value": True})

    feels_useful: StrictBool
    adds_professional_value: StrictBool


class Ending(BaseModel):
    """The end of the duo's mentoring, with a coded reason."""

    model_config = _examples({"ended_on": "2026-09-15", "reason": "completed"})

    ended_on: date = Field(examples=["2026-09-15"])
    reason: EndReason = Field(examples=["completed"])


class FollowUp(BaseModel):
    """The mentee's employment status 3, 6 or 12 months after the end."""

    model_config = _examples({"months": 3, "status": "employed"})

    months: Literal[3, 6, 12] = Field(examples=[3])
    status: EmploymentStatus = Field(examples=["employed"])


class DuoSheet(BaseModel):
    """What a coordinator records about one duo at once: each part as its single route's body, under its rules,
    recorded in this order: action plan, meetings, job, training, internship, the two surveys, end, follow-ups."""

    model_config = _examples(
        {
            "duo_id": "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
            "meetings": [
                {"met_on": "2026-03-03", "duration_minutes": 90, "mode": "in_person", "topics": ["job_search"]}
            ],
            "mentee_survey": {
                "more_self_confidence": True,
                "more_autonomous_job_search": True,
                "mentor_helped_with_problems": False,
            },
            "mentor_survey": {"feels_useful": True, "adds_professional_value": True},
            "end": {"ended_on": "2026-03-28", "reason": "completed"},
        }
    )

    duo_id: uuid.UUID
    action_plan: ActionPlan | None = None
    meetings: list[Meeting] = Field(
        default_factory=list, max_length=31, description="as POST /duos/{id}/meetings/batch"
    )
    job: Job | None = None
    training: Training | None = None
    internship: Internship | None = None
    mentee_survey: MenteeSurvey | None = None
    mentor_survey: MentorSurvey | None = None
    end: Ending | None = None
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=3)


class DuoSheets(BaseModel):
    """Several duos' sheets at once (a month of an office's duos): all recorded, or none."""

    model_config = ConfigDict(extra="forbid")

    sheets: list[DuoSheet] = Field(min_length=1, max_length=50, description="1 to 50 sheets; a duo may appear twice")


class NewPartner(BaseModel):
    """An organisation of the branch that duos work with, registered at an office of the caller's."""

    model_config = _examples({"name": "OCMW Antwerpen", "kind": "social_welfare_service", "office": "be-antwerpen"})

    name: str = Field(min_length=1, max_length=200, examples=["OCMW Antwerpen"], description="one partner per name")
    kind: PartnerKind = Field(examples=["social_welfare_service"])
    office: str = Field(examples=["be-antwerpen"], description="an office of the caller's branch (and offices)")


class Referral(BaseModel):
    """The mentor referred the mentee to a registered partner, and perhaps went with them to the appointment."""

    model_config = _examples(
        {"partner_id": "0b0f9a3e-3f4c-4b8a-9d2e-1c1a2b3c4d5e", "referred_on": "2026-04-02", "accompanied": True}
    )

    partner_id: uuid.UUID = Field(description="a partner of the branch (POST /partners)")
    referred_on: date = Field(examples=["2026-04-02"], description="not in the future, not before the duo was formed")
    accompanied: StrictBool = Field(examples=[True], description="the mentor went with the mentee to the appointment")


class ReferralOutcomeBody(BaseModel):
    """What became of a referral."""

    model_config = _examples({"outcome": "support_received"})

    outcome: ReferralOutcome = Field(examples=["support_received"])
