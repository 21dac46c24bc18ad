"""A duo as tracking follows it: meetings, the action plan, outcomes, surveys, the end and the follow-ups.

The duo itself is formed by matching (`DuoFormed`); tracking knows it from that event
(`DuoFacts`, kept in its `duos` table) and folds its own events, on the stream
`duo-<duo_id>`, on top. Pure: the caller passes the branch's `today` and the ids it made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any

from services.tracking.domain import rules
from services.tracking.domain.commands import (
    DrawUpActionPlan,
    EndDuo,
    ExtendContract,
    LogMeeting,
    LogMeetings,
    MarkGoalReached,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordJobFound,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordReferralOutcome,
    RecordTrainingStarted,
    ReferMentee,
)
from services.tracking.domain.errors import AlreadyRecorded, DuoClosed, NotYet
from shared.commanding.aggregate import Aggregate
from shared.commanding.errors import InvalidField, NotFound
from shared.events.catalog import (
    ActionPlanDrawnUp,
    ActionPlanGoalReached,
    ContractExtended,
    DuoEnded,
    FollowUpRecorded,
    InternshipStarted,
    JobEnded,
    JobFound,
    MeetingLogged,
    MenteeReferred,
    MenteeSurveyRecorded,
    MentorSurveyRecorded,
    PartnerKind,
    ReferralOutcome,
    ReferralOutcomeRecorded,
    TrainingStarted,
)
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.tenancy import Tenant


@dataclass(frozen=True)
class DuoFacts:
    """What matching's DuoFormed told tracking about a duo."""

    duo_id: uuid.UUID
    tenant: Tenant
    office: str
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    formed_on: date


@dataclass(frozen=True)
class Job:
    """A job the mentee started, and what became of it."""

    job_id: uuid.UUID
    sector: str
    contract_type: str
    contract_months: int | None
    hours_per_week: float
    started_on: date
    ended_on: date | None = None
    extended_on: date | None = None


@dataclass(frozen=True)
class Partner:
    """A registered partner organisation, as a referral needs it: its id, kind and office (its name stays in
    tracking's partner table)."""

    partner_id: uuid.UUID
    kind: PartnerKind
    office: str


@dataclass(frozen=True)
class Referral:
    """A referral of the mentee to a partner, and its outcome once recorded."""

    referral_id: uuid.UUID
    partner_id: uuid.UUID
    partner_kind: PartnerKind
    referred_on: date
    accompanied: bool
    outcome: ReferralOutcome | None = None
    outcome_recorded_on: date | None = None


@dataclass(frozen=True)
class DuoState:
    """A duo: the facts of its forming and what tracking recorded since (version 0: nothing yet)."""

    facts: DuoFacts
    version: int = 0
    meetings: int = 0
    meeting_minutes: int = 0
    last_met_on: date | None = None
    plan_drawn_up_on: date | None = None
    goals: tuple[str, ...] = ()
    goals_reached: MappingProxyType[str, date] = field(default_factory=lambda: MappingProxyType({}))
    jobs: tuple[Job, ...] = ()
    trainings: tuple[tuple[date, bool], ...] = ()  # (started_on, qualifying)
    internships: tuple[date, ...] = ()
    mentee_survey: bool = False
    mentor_survey: bool = False
    ended_on: date | None = None
    end_reason: str | None = None
    follow_ups: MappingProxyType[int, tuple[str, date]] = field(default_factory=lambda: MappingProxyType({}))
    referrals: tuple[Referral, ...] = ()

    @property
    def duo_id(self) -> uuid.UUID:
        return self.facts.duo_id

    @property
    def office(self) -> str:
        return self.facts.office

    @property
    def status(self) -> str:
        return "active" if self.ended_on is None else "ended"

    def job(self, job_id: uuid.UUID) -> Job:
        for job in self.jobs:
            if job.job_id == job_id:
                return job
        raise NotFound("job")

    def referral(self, referral_id: uuid.UUID) -> Referral:
        for referral in self.referrals:
            if referral.referral_id == referral_id:
                return referral
        raise NotFound("referral")


def _with_job(state: DuoState, job_id: uuid.UUID, **changes: Any) -> DuoState:
    return replace(state, jobs=tuple(replace(j, **changes) if j.job_id == job_id else j for j in state.jobs))


def evolve(state: DuoState, envelope: EventEnvelope) -> DuoState:
    """One recorded event applied to a duo."""
    return apply(state, envelope.payload())


def decided(state: DuoState, events: Sequence[DomainEvent]) -> DuoState:
    """The duo once a decision's events are appended after `state` (each a version more): what folding them back
    from the store gives, without their round trip through the store and JSON."""
    for event in events:
        state = replace(apply(state, event), version=state.version + 1)
    return state


def apply(state: DuoState, event: DomainEvent) -> DuoState:
    """One event applied to a duo."""
    match event:
        case MeetingLogged():
            last = event.met_on if state.last_met_on is None else max(state.last_met_on, event.met_on)
            return replace(
                state,
                meetings=state.meetings + 1,
                meeting_minutes=state.meeting_minutes + event.duration_minutes,
                last_met_on=last,
            )
        case ActionPlanDrawnUp():
            return replace(state, plan_drawn_up_on=event.drawn_up_on, goals=tuple(event.goals))
        case ActionPlanGoalReached():
            return replace(state, goals_reached=MappingProxyType({**state.goals_reached, event.goal: event.reached_on}))
        case JobFound():
            job = Job(
                event.job_id,
                event.sector,
                event.contract_type,
                event.contract_months,
                event.hours_per_week,
                event.started_on,
            )
            return replace(state, jobs=(*state.jobs, job))
        case JobEnded():
            return _with_job(state, event.job_id, ended_on=event.ended_on)
        case ContractExtended():
            return _with_job(state, event.job_id, contract_months=event.contract_months, extended_on=event.extended_on)
        case TrainingStarted():
            return replace(state, trainings=(*state.trainings, (event.started_on, event.qualifying)))
        case InternshipStarted():
            return replace(state, internships=(*state.internships, event.started_on))
        case MenteeSurveyRecorded():
            return replace(state, mentee_survey=True)
        case MentorSurveyRecorded():
            return replace(state, mentor_survey=True)
        case DuoEnded():
            return replace(state, ended_on=event.ended_on, end_reason=event.reason)
        case FollowUpRecorded():
            entry = (event.status, event.recorded_on)
            return replace(state, follow_ups=MappingProxyType({**state.follow_ups, event.months: entry}))
        case MenteeReferred():
            referral = Referral(
                event.referral_id, event.partner_id, event.partner_kind, event.referred_on, event.accompanied
            )
            return replace(state, referrals=(*state.referrals, referral))
        case ReferralOutcomeRecorded():
            referrals = tuple(
                replace(r, outcome=event.outcome, outcome_recorded_on=event.recorded_on)
                if r.referral_id == event.referral_id
                else r
                for r in state.referrals
            )
            return replace(state, referrals=referrals)
    return state


# A duo's fold starts from DuoState(facts), the facts of its DuoFormed (service.load_duo): this initial
# state, with no facts, is never folded on.
NO_FACTS = DuoFacts(uuid.UUID(int=0), Tenant.BE, "", uuid.UUID(int=0), uuid.UUID(int=0), date.min)
DUO = Aggregate("duo", DuoState(NO_FACTS), evolve)


# --- Guards ----------------------------------------------------------------------------------


def _require_active(state: DuoState) -> None:
    """Meetings, the plan and the surveys belong to a running duo."""
    if state.ended_on is not None:
        raise DuoClosed(
            "duo_active",
            f"the duo ended on {state.ended_on.isoformat()} ({state.end_reason}): only outcomes and follow-ups "
            "can still be recorded",
        )


def _require_aftercare(state: DuoState, today: date) -> None:
    """Outcomes: while the duo runs, and for 12 months after it ended."""
    if state.ended_on is not None and today > rules.aftercare_ends_on(state.ended_on):
        raise DuoClosed(
            "aftercare_window",
            f"the duo ended on {state.ended_on.isoformat()} ({state.end_reason}); outcomes can be recorded until "
            f"{rules.aftercare_ends_on(state.ended_on).isoformat()} ({rules.AFTERCARE_MONTHS} months after the end)",
        )


def _past(field_name: str, day: date, state: DuoState, today: date) -> None:
    rules.check_past_date(field_name, day, today, state.facts.formed_on)


# --- Decisions -------------------------------------------------------------------------------


def log_meeting(state: DuoState, cmd: LogMeeting, today: date) -> list[MeetingLogged]:
    """A meeting: dated between the duo's forming and today, 1 minute to 10 hours, topics from the fixed list."""
    _require_active(state)
    _past("met_on", cmd.met_on, state, today)
    rules.check_duration(cmd.duration_minutes)
    mode = rules.check_known("mode", cmd.mode, rules.MODES, "known_mode")
    topics = rules.check_topics(cmd.topics)
    return [
        MeetingLogged(
            duo_id=state.duo_id,
            met_on=cmd.met_on,
            duration_minutes=cmd.duration_minutes,
            mode=mode,
            topics=topics,
        )
    ]


# A month of weekly meetings, with room for a mentor who meets more often: a coordinator's entry, not an import.
MOST_MEETINGS_AT_ONCE = 31


def log_meetings(state: DuoState, cmd: LogMeetings, today: date) -> list[MeetingLogged]:
    """Several meetings at once, each under `log_meeting`'s rules; a problem names the meeting's place in the list
    (`meetings.2.met_on`) and nothing is recorded."""
    if not cmd.meetings:
        raise InvalidField("meetings", "meetings_required", "list at least one meeting")
    if len(cmd.meetings) > MOST_MEETINGS_AT_ONCE:
        raise InvalidField(
            "meetings", "at_most_a_month", f"at most {MOST_MEETINGS_AT_ONCE} meetings at once (a month's logbook)"
        )
    events: list[MeetingLogged] = []
    for index, meeting in enumerate(cmd.meetings):
        try:
            events += log_meeting(state, meeting, today)
        except InvalidField as refused:
            problem = refused.problems[0]
            raise InvalidField(f"meetings.{index}.{problem.field}", problem.rule, problem.message) from refused
    return events


def draw_up_action_plan(state: DuoState, cmd: DrawUpActionPlan, today: date) -> list[ActionPlanDrawnUp]:
    """The career action plan, once per duo: coded goals, each once."""
    _require_active(state)
    if state.plan_drawn_up_on is not None:
        raise AlreadyRecorded(
            "goals", "action_plan_once", f"the action plan was drawn up on {state.plan_drawn_up_on.isoformat()}"
        )
    _past("drawn_up_on", cmd.drawn_up_on, state, today)
    if not cmd.goals:
        raise InvalidField("goals", "goals_required", "name at least one goal")
    for index, goal in enumerate(cmd.goals):
        rules.check_known(f"goals.{index}", goal, rules.GOALS, "known_goal")
    goals = tuple(g for g in rules.GOALS if g in cmd.goals)
    return [ActionPlanDrawnUp(duo_id=state.duo_id, drawn_up_on=cmd.drawn_up_on, goals=goals)]


def mark_goal_reached(state: DuoState, cmd: MarkGoalReached, today: date) -> list[ActionPlanGoalReached]:
    """A goal of the plan reached, once, not before the plan was drawn up."""
    _require_active(state)
    if state.plan_drawn_up_on is None:
        raise NotYet("goal", "action_plan_first", "draw up the action plan first")
    goal = rules.check_known("goal", cmd.goal, rules.GOALS, "known_goal")
    if cmd.goal not in state.goals:
        raise InvalidField("goal", "goal_in_plan", f"{cmd.goal} is not a goal of the plan: {', '.join(state.goals)}")
    if cmd.goal in state.goals_reached:
        raise AlreadyRecorded(
            "goal", "goal_reached_once", f"{cmd.goal} was reached on {state.goals_reached[cmd.goal].isoformat()}"
        )
    _past("reached_on", cmd.reached_on, state, today)
    if cmd.reached_on < state.plan_drawn_up_on:
        raise InvalidField(
            "reached_on",
            "not_before_action_plan",
            f"must not be before the plan was drawn up ({state.plan_drawn_up_on.isoformat()})",
        )
    return [ActionPlanGoalReached(duo_id=state.duo_id, goal=goal, reached_on=cmd.reached_on)]


def _check_contract_months(months: int) -> None:
    if not 1 <= months <= 120:
        raise InvalidField("contract_months", "contract_months_range", "must be from 1 to 120 months")


def record_job_found(state: DuoState, cmd: RecordJobFound, today: date) -> list[JobFound]:
    """A job the mentee started; a fixed-term contract needs its length in months, any other type takes none."""
    _require_aftercare(state, today)
    if any(j.job_id == cmd.job_id for j in state.jobs):
        raise AlreadyRecorded("job_id", "job_once", "this job was already recorded")
    sector = rules.check_known("sector", cmd.sector, rules.SECTORS, "known_sector")  # a NACE Rev. 2 section
    contract_type = rules.check_known("contract_type", cmd.contract_type, rules.CONTRACT_TYPES, "known_contract_type")
    if contract_type == "fixed_term":
        if cmd.contract_months is None:
            raise InvalidField("contract_months", "contract_months_required", "a fixed-term contract needs its length")
        _check_contract_months(cmd.contract_months)
    elif cmd.contract_months is not None:
        raise InvalidField(
            "contract_months", "contract_months_only_fixed_term", "only a fixed-term contract has a length in months"
        )
    if not 0 < cmd.hours_per_week <= 60:
        raise InvalidField("hours_per_week", "hours_per_week_range", "must be more than 0 and at most 60")
    _past("started_on", cmd.started_on, state, today)
    return [
        JobFound(
            duo_id=state.duo_id,
            job_id=cmd.job_id,
            mentee_id=state.facts.mentee_id,
            sector=sector,
            contract_type=contract_type,
            contract_months=cmd.contract_months,
            hours_per_week=cmd.hours_per_week,
            started_on=cmd.started_on,
        )
    ]


def _running_job(state: DuoState, job_id: uuid.UUID) -> Job:
    job = state.job(job_id)
    if job.ended_on is not None:
        raise AlreadyRecorded("job_id", "job_running", f"this job ended on {job.ended_on.isoformat()}")
    return job


def _not_before_start(field_name: str, day: date, job: Job) -> None:
    if day < job.started_on:
        raise InvalidField(
            field_name, "not_before_job_started", f"must not be before the job started ({job.started_on.isoformat()})"
        )


def record_job_ended(state: DuoState, cmd: RecordJobEnded, today: date) -> list[JobEnded]:
    """A recorded job ended, once, not before it started."""
    _require_aftercare(state, today)
    job = _running_job(state, cmd.job_id)
    _past("ended_on", cmd.ended_on, state, today)
    _not_before_start(
        "ended_on",
        cmd.ended_on,
        job,
    )
    return [JobEnded(duo_id=state.duo_id, job_id=job.job_id, mentee_id=state.facts.mentee_id, ended_on=cmd.ended_on)]


def extend_contract(state: DuoState, cmd: ExtendContract, today: date) -> list[ContractExtended]:
    """A running fixed-term contract extended to a longer total length."""
    _require_aftercare(state, today)
    job = _running_job(state, cmd.job_id)
    if job.contract_type != "fixed_term":
        raise InvalidField(
            "contract_months",
            "fixed_term_contract",
            f"only a fixed-term contract is extended; this one is {job.contract_type}",
        )
    _check_contract_months(cmd.contract_months)
    assert job.contract_months is not None
    if cmd.contract_months <= job.contract_months:
        raise InvalidField(
            "contract_months",
            "longer_contract",
            f"the new total length must be more than the current {job.contract_months} months",
        )
    _past("extended_on", cmd.extended_on, state, today)
    _not_before_start("extended_on", cmd.extended_on, job)
    return [
        ContractExtended(
            duo_id=state.duo_id,
            job_id=job.job_id,
            mentee_id=state.facts.mentee_id,
            contract_months=cmd.contract_months,
            extended_on=cmd.extended_on,
        )
    ]


def record_training_started(state: DuoState, cmd: RecordTrainingStarted, today: date) -> list[TrainingStarted]:
    """The mentee started a training."""
    _require_aftercare(state, today)
    _past("started_on", cmd.started_on, state, today)
    return [
        TrainingStarted(
            duo_id=state.duo_id, mentee_id=state.facts.mentee_id, started_on=cmd.started_on, qualifying=cmd.qualifying
        )
    ]


def record_internship_started(state: DuoState, cmd: RecordInternshipStarted, today: date) -> list[InternshipStarted]:
    """The mentee started an internship."""
    _require_aftercare(state, today)
    _past("started_on", cmd.started_on, state, today)
    return [InternshipStarted(duo_id=state.duo_id, mentee_id=state.facts.mentee_id, started_on=cmd.started_on)]


def record_mentee_survey(state: DuoState, cmd: RecordMenteeSurvey, _today: date) -> list[MenteeSurveyRecorded]:
    """The mentee's closing survey, once."""
    _require_active(state)
    if state.mentee_survey:
        raise AlreadyRecorded("duo_id", "survey_once", "the mentee's survey was already recorded")
    return [
        MenteeSurveyRecorded(
            duo_id=state.duo_id,
            more_self_confidence=cmd.more_self_confidence,
            more_autonomous_job_search=cmd.more_autonomous_job_search,
            mentor_helped_with_problems=cmd.mentor_helped_with_problems,
        )
    ]


def record_mentor_survey(state: DuoState, cmd: RecordMentorSurvey, _today: date) -> list[MentorSurveyRecorded]:
    """The mentor's closing survey, once."""
    _require_active(state)
    if state.mentor_survey:
        raise AlreadyRecorded("duo_id", "survey_once", "the mentor's survey was already recorded")
    return [
        MentorSurveyRecorded(
            duo_id=state.duo_id, feels_useful=cmd.feels_useful, adds_professional_value=cmd.adds_professional_value
        )
    ]


def end_duo(state: DuoState, cmd: EndDuo, today: date) -> list[DuoEnded]:
    """The end of the mentoring, once: not in the future, not before the duo was formed or its last meeting."""
    _require_active(state)
    _past("ended_on", cmd.ended_on, state, today)
    if state.last_met_on is not None and cmd.ended_on < state.last_met_on:
        raise InvalidField(
            "ended_on",
            "not_before_last_meeting",
            f"must not be before the last meeting ({state.last_met_on.isoformat()})",
        )
    reason = rules.check_known("reason", cmd.reason, rules.END_REASONS, "known_reason")
    return [
        DuoEnded(
            duo_id=state.duo_id,
            mentee_id=state.facts.mentee_id,
            mentor_id=state.facts.mentor_id,
            ended_on=cmd.ended_on,
            reason=reason,
        )
    ]


def record_follow_up(state: DuoState, cmd: RecordFollowUp, today: date) -> list[FollowUpRecorded]:
    """The follow-up at 3, 6 or 12 months after the end: each once, from its due day until its window closes."""
    months = rules.check_known("months", cmd.months, rules.FOLLOW_UP_MONTHS, "follow_up_months")
    status = rules.check_known("status", cmd.status, rules.EMPLOYMENT_STATUSES, "known_status")
    if state.ended_on is None:
        raise NotYet("months", "duo_ended_first", "follow-ups come after the duo ended")
    if cmd.months in state.follow_ups:
        kind, on = state.follow_ups[cmd.months]
        raise AlreadyRecorded(
            "months",
            "follow_up_once",
            f"the {cmd.months}-month follow-up was recorded on {on.isoformat()} ({kind})",
        )
    due = rules.follow_up_due_on(state.ended_on, cmd.months)
    if today < due:
        raise NotYet("months", "follow_up_due", f"the {cmd.months}-month follow-up is due on {due.isoformat()}")
    closes = rules.follow_up_closes_on(state.ended_on, cmd.months)
    if today > closes:
        raise DuoClosed(
            "follow_up_window",
            f"the {cmd.months}-month follow-up could be recorded until {closes.isoformat()}",
            field="months",
        )
    return [
        FollowUpRecorded(
            duo_id=state.duo_id,
            mentee_id=state.facts.mentee_id,
            months=months,
            status=status,
            recorded_on=today,
        )
    ]


def refer_mentee(state: DuoState, cmd: ReferMentee, partner: Partner | None, today: date) -> list[MenteeReferred]:
    """A referral of a running duo's mentee to a partner of the branch (None: no such partner), each once, dated
    between the duo's forming and today."""
    _require_active(state)
    if partner is None:
        raise InvalidField("partner_id", "known_partner", "no such partner in the branch: register it first")
    if any(r.referral_id == cmd.referral_id for r in state.referrals):
        raise AlreadyRecorded("referral_id", "referral_once", "this referral was already recorded")
    _past("referred_on", cmd.referred_on, state, today)
    return [
        MenteeReferred(
            duo_id=state.duo_id,
            referral_id=cmd.referral_id,
            mentee_id=state.facts.mentee_id,
            partner_id=partner.partner_id,
            partner_kind=partner.kind,
            referred_on=cmd.referred_on,
            accompanied=cmd.accompanied,
        )
    ]


def record_referral_outcome(state: DuoState, cmd: RecordReferralOutcome, today: date) -> list[ReferralOutcomeRecorded]:
    """What became of a referral, once, while outcomes can still be recorded (until 12 months after the end)."""
    _require_aftercare(state, today)
    referral = state.referral(cmd.referral_id)
    outcome = rules.check_known("outcome", cmd.outcome, rules.REFERRAL_OUTCOMES, "known_outcome")
    if referral.outcome is not None:
        assert referral.outcome_recorded_on is not None
        raise AlreadyRecorded(
            "referral_id",
            "referral_outcome_once",
            f"the outcome was recorded on {referral.outcome_recorded_on.isoformat()} ({referral.outcome})",
        )
    return [
        ReferralOutcomeRecorded(
            duo_id=state.duo_id,
            referral_id=referral.referral_id,
            mentee_id=state.facts.mentee_id,
            partner_id=referral.partner_id,
            partner_kind=referral.partner_kind,
            outcome=outcome,
            recorded_on=today,
        )
    ]
