"""Tracking end to end on the real database and broker: a duo formed through matching's real events (intake's
registrations, a round, the first meeting, both acceptances), known to tracking from DuoFormed over Kafka;
meetings, the action plan, every kind of outcome, the surveys, the end (back to matching's pool) and the
follow-ups as the clock moves 3, 6 and 12 months on; every refused input changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.tracking.domain.rules import add_months
from shared.tenancy import TIMEZONES, Tenant, local_today
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.intake_harness import IntakeHarness
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_matching import meet_and_answer, register
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration


async def form_duo(intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness) -> dict:
    """A duo formed by matching from intake's people; returned once tracking knows it."""
    [mentee_id], [mentor_id] = await register(intake, 1, 1)
    await matching.in_pool(1, 1)
    [proposal] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    *_, formed = await meet_and_answer(matching, proposal["proposal_id"], "accept", "accept")
    assert formed.json()["status"] == "formed", formed.text
    duo_id = formed.json()["duo_id"]

    async def known() -> bool:
        return bool(await tracking.fetchval("SELECT count(*) FROM duos WHERE duo_id = $1::uuid", duo_id))

    await eventually(known, 60, "tracking knows the duo from DuoFormed")
    return {"duo_id": duo_id, "mentee_id": mentee_id, "mentor_id": mentor_id}


def today_of(harness: MatchingHarness) -> date:
    return local_today(Tenant.BE, harness.now())


def move_to(harness: MatchingHarness, day: date) -> None:
    """Set the harness's clock to noon in Brussels on `day`, so that the Belgian branch's today is `day`.

    Not by whole days: they keep the time of day in UTC, and the day summer time starts is 23 hours long in Brussels,
    so a UTC time of day late in the evening falls on no instant of it (22:10 UTC is 23:10 local the day before and
    00:10 local the day after): a follow-up due on 2027-03-28 was never due in a run at 22:09 UTC."""
    noon = datetime.combine(day, time(12), TIMEZONES[Tenant.BE])
    harness.days_ahead = (noon - datetime.now(UTC)) / timedelta(days=1)


async def events_count(tracking: MatchingHarness) -> int:
    return await tracking.fetchval("SELECT count(*) FROM events")


async def test_a_duo_is_tracked_from_its_first_meeting_to_its_last_follow_up(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    path, c = f"/duos/{duo['duo_id']}", tracking.client
    formed_on = today_of(tracking)
    read = await c.get(path)
    assert read.status_code == 200 and read.headers["ETag"] == '"0"', read.text
    assert read.json().items() >= {"status": "active", "office": "be-antwerpen", "meetings": 0, "version": 0}.items()
    assert read.json()["mentee_id"] == duo["mentee_id"] and read.json()["formed_on"] == formed_on.isoformat()

    # A meeting, sent twice with one Idempotency-Key: counted once.
    meeting = {
        "met_on": formed_on.isoformat(),
        "duration_minutes": 120,
        "mode": "online",
        "topics": ["social", "job_search"],
    }
    first = await c.post(f"{path}/meetings", json=meeting, headers={"Idempotency-Key": "meet-1"})
    retry = await c.post(f"{path}/meetings", json=meeting, headers={"Idempotency-Key": "meet-1"})
    assert first.status_code == 201 and retry.status_code == 201, first.text
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == first.json()
    assert first.json()["meetings"] == 1 and first.json()["meeting_minutes"] == 120

    plan = await c.post(
        f"{path}/action-plan", json={"drawn_up_on": formed_on.isoformat(), "goals": ["cv_ready", "find_job_in_sector"]}
    )
    assert plan.status_code == 201, plan.text
    goal = await c.post(
        f"{path}/action-plan/reached-goals", json={"goal": "cv_ready", "reached_on": formed_on.isoformat()}
    )
    assert goal.status_code == 200 and goal.json()["action_plan"]["goals"] == [
        {"goal": "find_job_in_sector", "reached_on": None},
        {"goal": "cv_ready", "reached_on": formed_on.isoformat()},
    ]

    # Every kind of outcome.
    day = formed_on.isoformat()
    fixed = {
        "sector": "Q",
        "contract_type": "fixed_term",
        "contract_months": 6,
        "hours_per_week": 38,
        "started_on": day,
    }
    job = await c.post(f"{path}/jobs", json=fixed)
    assert job.status_code == 201, job.text
    job_id = job.json()["jobs"][0]["job_id"]
    extended = await c.post(f"{path}/jobs/{job_id}/extension", json={"contract_months": 12, "extended_on": day})
    assert extended.status_code == 200 and extended.json()["jobs"][0]["contract_months"] == 12, extended.text
    finished = await c.post(f"{path}/jobs/{job_id}/end", json={"ended_on": day})
    assert finished.status_code == 200 and finished.json()["jobs"][0]["ended_on"] == day
    permanent = {"sector": "H", "contract_type": "permanent", "hours_per_week": 24.5, "started_on": day}
    assert (await c.post(f"{path}/jobs", json=permanent)).status_code == 201
    assert (await c.post(f"{path}/trainings", json={"started_on": day, "qualifying": True})).status_code == 201
    assert (await c.post(f"{path}/internships", json={"started_on": day})).status_code == 201

    mentee_survey = {
        "more_self_confidence": True,
        "more_autonomous_job_search": True,
        "mentor_helped_with_problems": False,
    }
    assert (await c.post(f"{path}/surveys/mentee", json=mentee_survey)).status_code == 201
    mentor_survey = {"feels_useful": True, "adds_professional_value": False}
    surveyed = await c.post(f"{path}/surveys/mentor", json=mentor_survey)
    assert surveyed.json()["mentee_survey_recorded"] and surveyed.json()["mentor_survey_recorded"]
    again = await c.post(f"{path}/surveys/mentor", json=mentor_survey)
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "survey_once"

    # Three weeks without a meeting: listed as inactive (with the default of 21 days), not with 30.
    assert (await c.get("/duos/inactive", params={"office": "be-antwerpen"})).json() == []
    move_to(tracking, date.fromordinal(formed_on.toordinal() + 21))
    [inactive] = (await c.get("/duos/inactive", params={"office": "be-antwerpen"})).json()
    assert inactive["duo_id"] == duo["duo_id"] and inactive["days_without_meeting"] == 21
    assert (await c.get("/duos/inactive", params={"office": "be-antwerpen", "days": 30})).json() == []

    # The end: the mentor returns to matching's pool, the follow-ups become due as months pass.
    ended_on = today_of(tracking)
    end = await c.post(f"{path}/end", json={"ended_on": ended_on.isoformat(), "reason": "mentee_found_work"})
    assert end.status_code == 200 and end.json()["status"] == "ended", end.text
    late_meeting = await c.post(f"{path}/meetings", json=meeting)
    assert late_meeting.status_code == 409 and late_meeting.json()["errors"][0]["rule"] == "duo_active"
    assert f"ended on {ended_on.isoformat()} (mentee_found_work)" in late_meeting.json()["detail"]

    async def mentor_back_in_pool() -> bool:
        return (
            await matching.fetchval("SELECT active_duos FROM pool_mentors WHERE mentor_id = $1::uuid", duo["mentor_id"])
            == 0
        )

    await eventually(mentor_back_in_pool, 60, "matching took DuoEnded from tracking's topic")

    assert (await c.get("/follow-ups/due", params={"office": "be-antwerpen"})).json() == []
    early = await c.post(f"{path}/follow-ups", json={"months": 3, "status": "employed"})
    assert early.status_code == 409 and early.json()["errors"][0]["rule"] == "follow_up_due"
    for months, status in ((3, "employed"), (6, "in_training"), (12, "employed")):
        move_to(tracking, add_months(ended_on, months))
        [due] = (await c.get("/follow-ups/due", params={"office": "be-antwerpen"})).json()
        assert (due["duo_id"], due["months"], due["due_on"]) == (duo["duo_id"], months, today_of(tracking).isoformat())
        recorded = await c.post(f"{path}/follow-ups", json={"months": months, "status": status})
        assert recorded.status_code == 201, recorded.text
        assert (await c.get("/follow-ups/due", params={"office": "be-antwerpen"})).json() == []
    # Outcomes stay open for 12 months after the end, and no longer.
    move_to(tracking, add_months(ended_on, 12))
    assert (await c.post(f"{path}/internships", json={"started_on": today_of(tracking).isoformat()})).status_code == 201
    move_to(tracking, date.fromordinal(add_months(ended_on, 12).toordinal() + 1))
    closed = await c.post(f"{path}/trainings", json={"started_on": today_of(tracking).isoformat(), "qualifying": False})
    assert closed.status_code == 409 and closed.json()["errors"][0]["rule"] == "aftercare_window"

    expected = [
        "MeetingLogged",
        "ActionPlanDrawnUp",
        "ActionPlanGoalReached",
        "JobFound",
        "ContractExtended",
        "JobEnded",
        "JobFound",
        "TrainingStarted",
        "InternshipStarted",
        "MenteeSurveyRecorded",
        "MentorSurveyRecorded",
        "DuoEnded",
        "FollowUpRecorded",
        "FollowUpRecorded",
        "FollowUpRecorded",
        "InternshipStarted",
    ]
    records = await read_topic(intake.kafka_bootstrap, tracking.topic, len(expected))
    assert [dict(r.headers)["ce_type"].decode() for r in records] == expected
    bodies = [json.loads(r.value) for r in records]
    assert all(dict(r.headers)["ce_office"] == b"be-antwerpen" for r in records)
    assert bodies[0] == {
        "duo_id": duo["duo_id"],
        "met_on": formed_on.isoformat(),
        "duration_minutes": 120,
        "mode": "online",
        "topics": ["job_search", "social"],
    }
    assert bodies[3] | {"job_id": None} == {
        "duo_id": duo["duo_id"],
        "job_id": None,
        "mentee_id": duo["mentee_id"],
        "sector": "Q",
        "contract_type": "fixed_term",
        "contract_months": 6,
        "hours_per_week": 38.0,
        "started_on": day,
    }
    assert bodies[11] == {
        "duo_id": duo["duo_id"],
        "mentee_id": duo["mentee_id"],
        "mentor_id": duo["mentor_id"],
        "ended_on": ended_on.isoformat(),
        "reason": "mentee_found_work",
    }
    assert [(b["months"], b["status"]) for b in bodies[12:15]] == [
        (3, "employed"),
        (6, "in_training"),
        (12, "employed"),
    ]
    final = (await c.get(path)).json()
    assert final["version"] == len(expected) and [f["status"] for f in final["follow_ups"]] == [
        "employed",
        "in_training",
        "employed",
    ]
    # The row's state (what a command loads the duo from) is the state folded from the duo's stream.
    assert await tracking.fetchval("SELECT version FROM duos WHERE duo_id = $1::uuid", duo["duo_id"]) == len(expected)
    await tracking.fetchval("UPDATE duos SET state = NULL WHERE duo_id = $1::uuid", duo["duo_id"])
    assert (await c.get(path)).json() == final  # folded from the stream


async def test_every_refused_input_names_the_field_and_changes_nothing(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    path, c = f"/duos/{duo['duo_id']}", tracking.client
    today = today_of(tracking)
    tomorrow = date.fromordinal(today.toordinal() + 1).isoformat()
    yesterday = date.fromordinal(today.toordinal() - 1).isoformat()
    meeting = {"met_on": today.isoformat(), "duration_minutes": 60, "mode": "phone", "topics": ["housing"]}
    job = {"sector": "F", "contract_type": "permanent", "hours_per_week": 38, "started_on": today.isoformat()}
    cases = [
        (f"{path}/meetings", meeting | {"met_on": tomorrow}, 422, "met_on", "not_in_future"),
        (f"{path}/meetings", meeting | {"met_on": yesterday}, 422, "met_on", "not_before_duo_formed"),
        (f"{path}/meetings", meeting | {"duration_minutes": 0}, 422, "duration_minutes", "greater_than_equal"),
        (f"{path}/meetings", meeting | {"duration_minutes": 601}, 422, "duration_minutes", "less_than_equal"),
        (f"{path}/meetings", meeting | {"topics": ["gardening"]}, 422, "topics.0", "literal_error"),
        (f"{path}/meetings", meeting | {"topics": []}, 422, "topics", "too_short"),
        (f"{path}/meetings", meeting | {"mode": "letter"}, 422, "mode", "literal_error"),
        (f"{path}/meetings", meeting | {"notes": "personal"}, 422, "notes", "extra_forbidden"),
        (f"{path}/jobs", job | {"contract_months": 6}, 422, "contract_months", "contract_months_only_fixed_term"),
        (f"{path}/jobs", job | {"contract_type": "fixed_term"}, 422, "contract_months", "contract_months_required"),
        (f"{path}/jobs", job | {"sector": "Z"}, 422, "sector", "literal_error"),
        (f"{path}/jobs", job | {"started_on": tomorrow}, 422, "started_on", "not_in_future"),
        (
            f"{path}/action-plan",
            {"drawn_up_on": today.isoformat(), "goals": ["get_rich"]},
            422,
            "goals.0",
            "literal_error",
        ),
        (
            f"{path}/action-plan/reached-goals",
            {"goal": "cv_ready", "reached_on": today.isoformat()},
            409,
            "goal",
            "action_plan_first",
        ),
        (f"{path}/jobs/{uuid.uuid4()}/end", {"ended_on": today.isoformat()}, 404, "job_id", "known_id"),
        (f"{path}/follow-ups", {"months": 3, "status": "employed"}, 409, "months", "duo_ended_first"),
        (f"{path}/follow-ups", {"months": 4, "status": "employed"}, 422, "months", "literal_error"),
        (f"{path}/end", {"ended_on": today.isoformat(), "reason": "bored"}, 422, "reason", "literal_error"),
        (f"{path}/end", {"ended_on": tomorrow, "reason": "completed"}, 422, "ended_on", "not_in_future"),
        (f"/duos/{uuid.uuid4()}/meetings", meeting, 404, "duo_id", "known_id"),
    ]
    for url, body, status, field, rule in cases:
        answer = await c.post(url, json=body)
        assert answer.status_code == status, (url, body, answer.text)
        problem = answer.json()["errors"][0]
        assert (problem["field"], problem["rule"]) == (field, rule), (url, body, answer.text)
    lists: list[tuple[dict[str, str | int], int, str]] = [
        ({"office": "atlantis"}, 422, "known_office"),
        ({"office": "fr-paris"}, 422, "office_of_branch"),
        ({"office": "be-antwerpen", "days": 0}, 422, "greater_than_equal"),
    ]
    for params, status, rule in lists:
        answer = await c.get("/duos/inactive", params=params)
        assert answer.status_code == status and answer.json()["errors"][0]["rule"] == rule, answer.text
    assert await events_count(tracking) == 0
    assert await tracking.fetchval("SELECT meetings FROM duos WHERE duo_id = $1::uuid", duo["duo_id"]) == 0


async def test_a_duo_at_another_office_or_branch_is_not_found_and_only_coordinators_get_in(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    from shared.auth.identity import Role

    duo = await form_duo(intake, matching, tracking)
    path = f"/duos/{duo['duo_id']}"
    meeting = {"met_on": today_of(tracking).isoformat(), "duration_minutes": 60, "mode": "phone", "topics": ["housing"]}
    gent = bearer("BE", offices={"be-gent"})
    for headers in (gent, bearer("NL")):
        assert (await tracking.client.get(path, headers=headers)).status_code == 404
        assert (await tracking.client.post(f"{path}/meetings", json=meeting, headers=headers)).status_code == 404
    outside = await tracking.client.get("/follow-ups/due", params={"office": "be-antwerpen"}, headers=gent)
    assert outside.status_code == 403 and outside.json()["errors"][0]["rule"] == "office_of_caller"
    for role in (Role.BRANCH_ADMIN, Role.AUDITOR, Role.FUNDER):
        refused = await tracking.client.get(path, headers=bearer("BE", role))
        assert refused.status_code == 403 and refused.json()["errors"][0]["rule"] == "allowed_role"
    assert (await tracking.client.get(path, headers={"Authorization": ""})).status_code == 401
    assert await events_count(tracking) == 0
    mine = bearer("BE", offices={"be-antwerpen"})
    assert (await tracking.client.post(f"{path}/meetings", json=meeting, headers=mine)).status_code == 201


async def test_a_duo_whose_row_keeps_no_state_is_folded_from_its_stream_and_its_next_command_keeps_it(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    path, c, day = f"/duos/{duo['duo_id']}", tracking.client, today_of(tracking).isoformat()
    meeting = {"met_on": day, "duration_minutes": 60, "mode": "online", "topics": ["social"]}
    assert (await c.post(f"{path}/meetings/batch", json={"meetings": [meeting, meeting]})).status_code == 201
    plan = await c.post(f"{path}/action-plan", json={"drawn_up_on": day, "goals": ["cv_ready"]})
    assert plan.status_code == 201, plan.text

    # A row as written before it kept the state (or in an older layout): the duo is folded from its stream.
    await tracking.fetchval("UPDATE duos SET state = NULL WHERE duo_id = $1::uuid", duo["duo_id"])
    assert (await c.get(path)).json() == plan.json()
    again = await c.post(f"{path}/action-plan", json={"drawn_up_on": day, "goals": ["cv_ready"]})
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "action_plan_once"
    reached = await c.post(f"{path}/action-plan/reached-goals", json={"goal": "cv_ready", "reached_on": day})
    assert reached.status_code == 200 and reached.json()["version"] == 4, reached.text
    kept = await tracking.fetchval("SELECT state FROM duos WHERE duo_id = $1::uuid", duo["duo_id"])
    assert json.loads(kept)["goals_reached"] == {"cv_ready": day} and json.loads(kept)["meetings"] == 2
    assert (await c.get(path)).json() == reached.json()
