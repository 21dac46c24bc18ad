"""Tracking's decisions, pure: every rule of a duo's meetings, plan, outcomes, surveys, end and follow-ups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.tracking.domain import duo, rules
from services.tracking.domain.commands import (
    DrawUpActionPlan,
    EndDuo,
    ExtendContract,
    LogMeeting,
    MarkGoalReached,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordJobFound,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordTrainingStarted,
)
from services.tracking.domain.duo import DUO, DuoFacts, DuoState
from services.tracking.domain.errors import AlreadyRecorded, DuoClosed, NotYet
from shared.commanding.errors import CommandRefused, InvalidField, NotFound
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant

DUO_ID, MENTEE, MENTOR = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
FORMED = date(2026, 3, 2)
TODAY = date(2026, 6, 15)


def formed() -> DuoState:
    return DuoState(DuoFacts(DUO_ID, Tenant.BE, "be-antwerpen", MENTEE, MENTOR, FORMED))


def after(state: DuoState, events: Sequence[DomainEvent]) -> DuoState:
    meta = EventMetadata(tenant=Tenant.BE, office="be-antwerpen", actor="coordinator-1")
    at = datetime(2026, 6, 15, tzinfo=UTC)
    envelopes = [
        EventEnvelope.record(NewEvent(e, meta), DUO.stream(DUO_ID), state.version + i, at)
        for i, e in enumerate(events, 1)
    ]
    return DUO.fold(envelopes, state)


def meeting(**changes: Any) -> LogMeeting:
    usual = LogMeeting(
        duo_id=DUO_ID,
        met_on=date(2026, 6, 10),
        duration_minutes=90,
        mode="in_person",
        topics=("cv_and_applications", "job_search"),
    )
    return replace(usual, **changes)


def job(**changes: Any) -> RecordJobFound:
    usual = RecordJobFound(
        duo_id=DUO_ID,
        job_id=uuid.uuid4(),
        sector="Q",
        contract_type="fixed_term",
        contract_months=6,
        hours_per_week=38.0,
        started_on=date(2026, 6, 1),
    )
    return replace(usual, **changes)


def ended(on: date = date(2026, 6, 12), state: DuoState | None = None) -> DuoState:
    state = state or formed()
    return after(state, duo.end_duo(state, EndDuo(DUO_ID, on, "completed"), TODAY))


def refusal(call, kind: type[CommandRefused] = InvalidField) -> tuple[str, str, int]:
    with pytest.raises(kind) as caught:
        call()
    [problem] = caught.value.problems
    return problem.field, problem.rule, caught.value.status


# --- Meetings -----------------------------------------------------------------------------------


def test_a_meeting_is_logged_with_its_topics_in_the_fixed_lists_order_each_once():
    [event] = duo.log_meeting(formed(), meeting(topics=("job_search", "cv_and_applications", "job_search")), TODAY)
    assert event.topics == ("job_search", "cv_and_applications")
    assert (event.duo_id, event.met_on, event.duration_minutes, event.mode) == (
        DUO_ID,
        date(2026, 6, 10),
        90,
        "in_person",
    )
    state = after(formed(), [event])
    assert (state.meetings, state.meeting_minutes, state.last_met_on, state.version) == (1, 90, date(2026, 6, 10), 1)


def test_the_topic_list_is_the_documented_one():
    assert rules.TOPICS == (
        "job_search",
        "cv_and_applications",
        "interview_preparation",
        "administration",
        "social",
        "health",
        "finance",
        "digital_skills",
        "housing",
        "legal",
        "training",
        "network",
    )
    assert rules.MODES == ("in_person", "online", "phone")


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"met_on": TODAY + timedelta(days=1)}, "met_on", "not_in_future"),
        ({"met_on": FORMED - timedelta(days=1)}, "met_on", "not_before_duo_formed"),
        ({"duration_minutes": 0}, "duration_minutes", "meeting_duration"),
        ({"duration_minutes": 601}, "duration_minutes", "meeting_duration"),
        ({"topics": ("job_search", "gardening")}, "topics.1", "known_topic"),
        ({"topics": ()}, "topics", "topics_required"),
        ({"mode": "carrier_pigeon"}, "mode", "known_mode"),
    ],
)
def test_a_meeting_breaking_a_rule_is_refused_naming_it(changes, field, rule):
    assert refusal(lambda: duo.log_meeting(formed(), meeting(**changes), TODAY)) == (field, rule, 422)


def test_a_meeting_at_the_limits_is_accepted():
    for changes in ({"met_on": TODAY}, {"met_on": FORMED}, {"duration_minutes": 1}, {"duration_minutes": 600}):
        assert duo.log_meeting(formed(), meeting(**changes), TODAY)


def test_no_meeting_after_the_duo_ended():
    assert refusal(lambda: duo.log_meeting(ended(), meeting(), TODAY), DuoClosed) == ("duo_id", "duo_active", 409)


# --- Action plan --------------------------------------------------------------------------------


def plan(state: DuoState | None = None) -> DuoState:
    state = state or formed()
    cmd = DrawUpActionPlan(DUO_ID, date(2026, 3, 9), ("cv_ready", "find_job_in_sector"))
    return after(state, duo.draw_up_action_plan(state, cmd, TODAY))


def test_an_action_plan_has_coded_goals_in_the_documented_order_and_is_drawn_up_once():
    assert rules.GOALS == (
        "find_job_in_sector",
        "improve_language",
        "get_diploma_recognised",
        "build_network",
        "cv_ready",
        "interview_skills",
        "digital_skills",
        "other",
    )
    state = plan()
    assert state.goals == ("find_job_in_sector", "cv_ready") and state.plan_drawn_up_on == date(2026, 3, 9)
    again = DrawUpActionPlan(DUO_ID, date(2026, 3, 9), ("cv_ready",))
    assert refusal(lambda: duo.draw_up_action_plan(state, again, TODAY), AlreadyRecorded) == (
        "goals",
        "action_plan_once",
        409,
    )


@pytest.mark.parametrize(
    ("goals", "on", "field", "rule"),
    [
        ((), date(2026, 3, 9), "goals", "goals_required"),
        (("cv_ready", "world_peace"), date(2026, 3, 9), "goals.1", "known_goal"),
        (("cv_ready",), TODAY + timedelta(days=1), "drawn_up_on", "not_in_future"),
        (("cv_ready",), FORMED - timedelta(days=1), "drawn_up_on", "not_before_duo_formed"),
    ],
)
def test_a_bad_action_plan_is_refused(goals, on, field, rule):
    cmd = DrawUpActionPlan(DUO_ID, on, goals)
    assert refusal(lambda: duo.draw_up_action_plan(formed(), cmd, TODAY)) == (field, rule, 422)


def test_a_goal_of_the_plan_is_reached_once():
    state = plan()
    reached = MarkGoalReached(DUO_ID, "cv_ready", date(2026, 4, 1))
    state = after(state, duo.mark_goal_reached(state, reached, TODAY))
    assert state.goals_reached == {"cv_ready": date(2026, 4, 1)}
    assert refusal(lambda: duo.mark_goal_reached(state, reached, TODAY), AlreadyRecorded) == (
        "goal",
        "goal_reached_once",
        409,
    )


def test_a_goal_needs_the_plan_and_must_be_in_it_and_not_before_it():
    cmd = MarkGoalReached(DUO_ID, "cv_ready", date(2026, 4, 1))
    assert refusal(lambda: duo.mark_goal_reached(formed(), cmd, TODAY), NotYet) == ("goal", "action_plan_first", 409)
    other = MarkGoalReached(DUO_ID, "build_network", date(2026, 4, 1))
    assert refusal(lambda: duo.mark_goal_reached(plan(), other, TODAY)) == ("goal", "goal_in_plan", 422)
    early = MarkGoalReached(DUO_ID, "cv_ready", date(2026, 3, 5))
    assert refusal(lambda: duo.mark_goal_reached(plan(), early, TODAY)) == ("reached_on", "not_before_action_plan", 422)
    late = MarkGoalReached(DUO_ID, "cv_ready", TODAY + timedelta(days=1))
    assert refusal(lambda: duo.mark_goal_reached(plan(), late, TODAY)) == ("reached_on", "not_in_future", 422)


def test_no_plan_and_no_goal_after_the_end():
    cmd = DrawUpActionPlan(DUO_ID, date(2026, 3, 9), ("cv_ready",))
    assert refusal(lambda: duo.draw_up_action_plan(ended(), cmd, TODAY), DuoClosed)[1] == "duo_active"
    goal = MarkGoalReached(DUO_ID, "cv_ready", date(2026, 4, 1))
    assert refusal(lambda: duo.mark_goal_reached(ended(state=plan()), goal, TODAY), DuoClosed)[1] == "duo_active"


# --- Outcomes -----------------------------------------------------------------------------------


def test_a_fixed_term_job_needs_its_length_and_only_it_has_one():
    [event] = duo.record_job_found(formed(), job(), TODAY)
    assert (event.mentee_id, event.contract_type, event.contract_months, event.sector) == (MENTEE, "fixed_term", 6, "Q")
    assert refusal(lambda: duo.record_job_found(formed(), job(contract_months=None), TODAY)) == (
        "contract_months",
        "contract_months_required",
        422,
    )
    for kind in ("permanent", "temporary_agency", "other"):
        assert duo.record_job_found(formed(), job(contract_type=kind, contract_months=None), TODAY)
        assert refusal(lambda k=kind: duo.record_job_found(formed(), job(contract_type=k), TODAY)) == (
            "contract_months",
            "contract_months_only_fixed_term",
            422,
        )


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"sector": "Z"}, "sector", "known_sector"),
        ({"contract_type": "zero_hours", "contract_months": None}, "contract_type", "known_contract_type"),
        ({"contract_months": 0}, "contract_months", "contract_months_range"),
        ({"contract_months": 121}, "contract_months", "contract_months_range"),
        ({"hours_per_week": 0.0}, "hours_per_week", "hours_per_week_range"),
        ({"hours_per_week": 61.0}, "hours_per_week", "hours_per_week_range"),
        ({"started_on": TODAY + timedelta(days=1)}, "started_on", "not_in_future"),
        ({"started_on": FORMED - timedelta(days=1)}, "started_on", "not_before_duo_formed"),
    ],
)
def test_a_job_breaking_a_rule_is_refused_naming_it(changes, field, rule):
    assert refusal(lambda: duo.record_job_found(formed(), job(**changes), TODAY)) == (field, rule, 422)


def test_a_job_ends_once_and_not_before_it_started():
    cmd = job()
    state = after(formed(), duo.record_job_found(formed(), cmd, TODAY))
    early = RecordJobEnded(DUO_ID, cmd.job_id, date(2026, 5, 30))
    assert refusal(lambda: duo.record_job_ended(state, early, TODAY)) == ("ended_on", "not_before_job_started", 422)
    end = RecordJobEnded(DUO_ID, cmd.job_id, date(2026, 6, 14))
    [event] = duo.record_job_ended(state, end, TODAY)
    state = after(state, [event])
    assert state.jobs[0].ended_on == date(2026, 6, 14)
    assert refusal(lambda: duo.record_job_ended(state, end, TODAY), AlreadyRecorded) == ("job_id", "job_running", 409)
    unknown = RecordJobEnded(DUO_ID, uuid.uuid4(), date(2026, 6, 14))
    assert refusal(lambda: duo.record_job_ended(state, unknown, TODAY), NotFound) == ("job_id", "known_id", 404)


def test_a_fixed_term_contract_is_extended_to_a_longer_length():
    cmd = job()
    state = after(formed(), duo.record_job_found(formed(), cmd, TODAY))
    [event] = duo.extend_contract(state, ExtendContract(DUO_ID, cmd.job_id, 12, date(2026, 6, 14)), TODAY)
    state = after(state, [event])
    assert (state.jobs[0].contract_months, state.jobs[0].extended_on) == (12, date(2026, 6, 14))
    shorter = ExtendContract(DUO_ID, cmd.job_id, 12, date(2026, 6, 14))
    assert refusal(lambda: duo.extend_contract(state, shorter, TODAY)) == ("contract_months", "longer_contract", 422)
    permanent = job(contract_type="permanent", contract_months=None)
    state = after(state, duo.record_job_found(state, permanent, TODAY))
    extend = ExtendContract(DUO_ID, permanent.job_id, 12, date(2026, 6, 14))
    assert refusal(lambda: duo.extend_contract(state, extend, TODAY)) == ("contract_months", "fixed_term_contract", 422)


def test_trainings_and_internships_are_recorded_with_dates_checked():
    [training] = duo.record_training_started(formed(), RecordTrainingStarted(DUO_ID, date(2026, 5, 1), True), TODAY)
    [internship] = duo.record_internship_started(formed(), RecordInternshipStarted(DUO_ID, date(2026, 5, 2)), TODAY)
    state = after(formed(), [training, internship])
    assert state.trainings == ((date(2026, 5, 1), True),) and state.internships == (date(2026, 5, 2),)
    assert training.mentee_id == MENTEE and internship.mentee_id == MENTEE
    future = RecordTrainingStarted(DUO_ID, TODAY + timedelta(days=1), False)
    assert refusal(lambda: duo.record_training_started(formed(), future, TODAY)) == ("started_on", "not_in_future", 422)
    early = RecordInternshipStarted(DUO_ID, FORMED - timedelta(days=1))
    assert refusal(lambda: duo.record_internship_started(formed(), early, TODAY))[1] == "not_before_duo_formed"


def test_outcomes_stay_open_for_12_months_after_the_end_and_not_a_day_longer():
    state = ended(date(2026, 6, 12))
    last_day = date(2027, 6, 12)
    assert rules.aftercare_ends_on(date(2026, 6, 12)) == last_day
    assert duo.record_job_found(state, job(started_on=date(2027, 1, 4)), last_day)
    assert duo.record_training_started(state, RecordTrainingStarted(DUO_ID, last_day, True), last_day)
    assert duo.record_internship_started(state, RecordInternshipStarted(DUO_ID, last_day), last_day)
    too_late = last_day + timedelta(days=1)
    for call in (
        lambda: duo.record_job_found(state, job(started_on=date(2027, 1, 4)), too_late),
        lambda: duo.record_training_started(state, RecordTrainingStarted(DUO_ID, last_day, True), too_late),
        lambda: duo.record_internship_started(state, RecordInternshipStarted(DUO_ID, last_day), too_late),
    ):
        assert refusal(call, DuoClosed) == ("duo_id", "aftercare_window", 409)


def test_a_jobs_end_and_extension_stay_open_in_the_aftercare_window_only():
    cmd = job()
    state = ended(state=after(formed(), duo.record_job_found(formed(), cmd, TODAY)))
    assert duo.extend_contract(state, ExtendContract(DUO_ID, cmd.job_id, 12, date(2026, 11, 1)), date(2026, 11, 1))
    end = RecordJobEnded(DUO_ID, cmd.job_id, date(2027, 1, 1))
    assert duo.record_job_ended(state, end, date(2027, 1, 1))
    assert refusal(lambda: duo.record_job_ended(state, end, date(2027, 6, 13)), DuoClosed)[1] == "aftercare_window"


# --- Surveys ------------------------------------------------------------------------------------


def test_each_survey_is_recorded_once_and_before_the_end():
    mentee = RecordMenteeSurvey(DUO_ID, True, True, False)
    mentor = RecordMentorSurvey(DUO_ID, True, False)
    [mentees] = duo.record_mentee_survey(formed(), mentee, TODAY)
    [mentors] = duo.record_mentor_survey(formed(), mentor, TODAY)
    state = after(formed(), [mentees, mentors])
    assert state.mentee_survey and state.mentor_survey
    assert (mentees.more_self_confidence, mentees.mentor_helped_with_problems) == (True, False)
    assert (mentors.feels_useful, mentors.adds_professional_value) == (True, False)
    for call in (
        lambda: duo.record_mentee_survey(state, mentee, TODAY),
        lambda: duo.record_mentor_survey(state, mentor, TODAY),
    ):
        assert refusal(call, AlreadyRecorded) == ("duo_id", "survey_once", 409)
    assert refusal(lambda: duo.record_mentee_survey(ended(), mentee, TODAY), DuoClosed)[1] == "duo_active"


# --- The end ------------------------------------------------------------------------------------


def test_a_duo_ends_once_with_a_coded_reason():
    [event] = duo.end_duo(formed(), EndDuo(DUO_ID, date(2026, 6, 12), "mentee_found_work"), TODAY)
    assert (event.mentee_id, event.mentor_id, event.ended_on, event.reason) == (
        MENTEE,
        MENTOR,
        date(2026, 6, 12),
        "mentee_found_work",
    )
    state = after(formed(), [event])
    assert (state.status, state.end_reason) == ("ended", "mentee_found_work")
    again = EndDuo(DUO_ID, date(2026, 6, 13), "completed")
    assert refusal(lambda: duo.end_duo(state, again, TODAY), DuoClosed) == ("duo_id", "duo_active", 409)
    assert rules.END_REASONS == (
        "completed",
        "mentee_found_work",
        "stopped_by_mentee",
        "stopped_by_mentor",
        "lost_contact",
        "other",
    )


@pytest.mark.parametrize(
    ("on", "reason", "field", "rule"),
    [
        (TODAY + timedelta(days=1), "completed", "ended_on", "not_in_future"),
        (FORMED - timedelta(days=1), "completed", "ended_on", "not_before_duo_formed"),
        (date(2026, 6, 9), "completed", "ended_on", "not_before_last_meeting"),
        (date(2026, 6, 12), "bored", "reason", "known_reason"),
    ],
)
def test_a_bad_end_is_refused(on, reason, field, rule):
    state = after(formed(), duo.log_meeting(formed(), meeting(), TODAY))  # met on 2026-06-10
    assert refusal(lambda: duo.end_duo(state, EndDuo(DUO_ID, on, reason), TODAY)) == (field, rule, 422)


# --- Follow-ups ---------------------------------------------------------------------------------


def test_follow_ups_are_due_3_6_and_12_months_after_the_end_each_for_3_months():
    end = date(2026, 1, 31)
    assert [rules.follow_up_due_on(end, m) for m in rules.FOLLOW_UP_MONTHS] == [
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2027, 1, 31),
    ]
    assert rules.follow_up_closes_on(end, 12) == date(2027, 4, 29)
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_a_follow_up_is_recorded_once_when_due():
    state = ended(date(2026, 6, 12))
    due = date(2026, 9, 12)
    [event] = duo.record_follow_up(state, RecordFollowUp(DUO_ID, 3, "employed"), due)
    assert (event.months, event.status, event.recorded_on, event.mentee_id) == (3, "employed", due, MENTEE)
    state = after(state, [event])
    assert state.follow_ups == {3: ("employed", due)}
    again = RecordFollowUp(DUO_ID, 3, "job_seeking")
    assert refusal(lambda: duo.record_follow_up(state, again, due), AlreadyRecorded) == (
        "months",
        "follow_up_once",
        409,
    )
    twelve = RecordFollowUp(DUO_ID, 12, "in_training")
    assert duo.record_follow_up(state, twelve, date(2027, 6, 12))


def test_a_follow_up_before_it_is_due_after_its_window_or_before_the_end_is_refused():
    cmd = RecordFollowUp(DUO_ID, 6, "employed")
    assert refusal(lambda: duo.record_follow_up(formed(), cmd, TODAY), NotYet) == ("months", "duo_ended_first", 409)
    state = ended(date(2026, 6, 12))
    assert refusal(lambda: duo.record_follow_up(state, cmd, date(2026, 12, 11)), NotYet) == (
        "months",
        "follow_up_due",
        409,
    )
    assert duo.record_follow_up(state, cmd, date(2027, 3, 11))
    assert refusal(lambda: duo.record_follow_up(state, cmd, date(2027, 3, 12)), DuoClosed) == (
        "months",
        "follow_up_window",
        409,
    )


@pytest.mark.parametrize(
    ("months", "status", "field", "rule"),
    [(4, "employed", "months", "follow_up_months"), (3, "retired", "status", "known_status")],
)
def test_a_bad_follow_up_is_refused(months, status, field, rule):
    state = ended(date(2026, 6, 12))
    cmd = RecordFollowUp(DUO_ID, months, status)
    assert refusal(lambda: duo.record_follow_up(state, cmd, date(2026, 9, 12))) == (field, rule, 422)
