"""Tracking's answers."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from services.tracking.domain import rules
from services.tracking.domain.duo import DuoState


class GoalView(BaseModel):
    goal: str
    reached_on: date | None


class ActionPlanView(BaseModel):
    drawn_up_on: date
    goals: list[GoalView]


class JobView(BaseModel):
    job_id: uuid.UUID
    sector: str
    contract_type: str
    contract_months: int | None
    hours_per_week: float
    started_on: date
    extended_on: date | None
    ended_on: date | None


class TrainingView(BaseModel):
    started_on: date
    qualifying: bool


class ReferralView(BaseModel):
    referral_id: uuid.UUID
    partner_id: uuid.UUID
    partner_kind: str
    referred_on: date
    accompanied: bool
    outcome: str | None
    outcome_recorded_on: date | None


class PartnerView(BaseModel):
    """A partner organisation of the branch."""

    partner_id: uuid.UUID
    office: str
    kind: str
    name: str


class FollowUpView(BaseModel):
    months: int
    due_on: date
    closes_on: date
    status: str | None
    recorded_on: date | None


class DuoView(BaseModel):
    """A duo as tracking follows it; ETag is its version (the number of tracking's facts about it)."""

    duo_id: uuid.UUID
    version: int
    status: str
    office: str
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    formed_on: date
    meetings: int
    meeting_minutes: int
    last_met_on: date | None
    action_plan: ActionPlanView | None
    jobs: list[JobView]
    trainings: list[TrainingView]
    internships: list[date]
    mentee_survey_recorded: bool
    mentor_survey_recorded: bool
    ended_on: date | None
    end_reason: str | None
    follow_ups: list[FollowUpView]
    referrals: list[ReferralView]

    @classmethod
    def of(cls, s: DuoState) -> DuoView:
        plan = None
        if s.plan_drawn_up_on is not None:
            goals = [GoalView(goal=g, reached_on=s.goals_reached.get(g)) for g in s.goals]
            plan = ActionPlanView(drawn_up_on=s.plan_drawn_up_on, goals=goals)
        follow_ups = []
        if s.ended_on is not None:
            for months in rules.FOLLOW_UP_MONTHS:
                status, recorded_on = s.follow_ups.get(months, (None, None))
                follow_ups.append(
                    FollowUpView(
                        months=months,
                        due_on=rules.follow_up_due_on(s.ended_on, months),
                        closes_on=rules.follow_up_closes_on(s.ended_on, months),
                        status=status,
                        recorded_on=recorded_on,
                    )
                )
        return cls(
            duo_id=s.duo_id,
            version=s.version,
            status=s.status,
            office=s.office,
            mentee_id=s.facts.mentee_id,
            mentor_id=s.facts.mentor_id,
            formed_on=s.facts.formed_on,
            meetings=s.meetings,
            meeting_minutes=s.meeting_minutes,
            last_met_on=s.last_met_on,
            action_plan=plan,
            jobs=[
                JobView(
                    job_id=j.job_id,
                    sector=j.sector,
                    contract_type=j.contract_type,
                    contract_months=j.contract_months,
                    hours_per_week=j.hours_per_week,
                    started_on=j.started_on,
                    extended_on=j.extended_on,
                    ended_on=j.ended_on,
                )
                for j in s.jobs
            ],
            trainings=[TrainingView(started_on=on, qualifying=q) for on, q in s.trainings],
            internships=list(s.internships),
            mentee_survey_recorded=s.mentee_survey,
            mentor_survey_recorded=s.mentor_survey,
            ended_on=s.ended_on,
            end_reason=s.end_reason,
            follow_ups=follow_ups,
            referrals=[
                ReferralView(
                    referral_id=r.referral_id,
                    partner_id=r.partner_id,
                    partner_kind=r.partner_kind,
                    referred_on=r.referred_on,
                    accompanied=r.accompanied,
                    outcome=r.outcome,
                    outcome_recorded_on=r.outcome_recorded_on,
                )
                for r in s.referrals
            ],
        )


class DuoSummary(BaseModel):
    """One duo of a list."""

    duo_id: uuid.UUID
    version: int
    status: str
    office: str
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    formed_on: date
    meetings: int
    last_met_on: date | None
    ended_on: date | None
    end_reason: str | None


class InactiveDuo(BaseModel):
    """A running duo with no meeting for a while."""

    duo_id: uuid.UUID
    office: str
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    formed_on: date
    meetings: int
    last_met_on: date | None
    days_without_meeting: int


class DueFollowUp(BaseModel):
    """A follow-up to record: due, not yet recorded, its window still open."""

    duo_id: uuid.UUID
    office: str
    mentee_id: uuid.UUID
    ended_on: date
    months: int
    due_on: date
    closes_on: date


class RecordedDuo(BaseModel):
    """A duo after a batch: its version (the ETag its single routes answer) and status."""

    duo_id: uuid.UUID
    version: int
    status: str


class DuoSheetsRecorded(BaseModel):
    """The duos a batch recorded, in the order they first appear in it (GET /duos/{id} shows one whole)."""

    duos: list[RecordedDuo]
