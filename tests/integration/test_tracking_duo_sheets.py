"""Several duos at once (`POST /duos/batch`): each sheet's parts recorded in their order as their single routes
record them (the same facts, one stream version each), in one transaction; a retry with its Idempotency-Key records
nothing twice; a problem in any sheet is named by its place (`sheets.1.meetings.0.met_on`) with its single route's
status and rule, and nothing of the batch is recorded."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from services.tracking.domain.rules import add_months
from tests.conftest import eventually
from tests.integration.intake_harness import IntakeHarness
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_matching import meet_and_answer, register
from tests.integration.test_tracking import events_count, move_to, today_of
from tests.integration.test_tracking_meeting_log import meeting

pytestmark = pytest.mark.integration

SURVEYS = {
    "mentee_survey": {
        "more_self_confidence": True,
        "more_autonomous_job_search": False,
        "mentor_helped_with_problems": True,
    },
    "mentor_survey": {"feels_useful": True, "adds_professional_value": False},
}


async def form_duos(intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness) -> list[str]:
    """Two duos formed by matching from intake's people; their ids once tracking knows both."""
    await register(intake, 2, 2)
    await matching.in_pool(2, 2)
    proposals = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    duo_ids = []
    for proposal in proposals:
        *_, formed = await meet_and_answer(matching, proposal["proposal_id"], "accept", "accept")
        assert formed.json()["status"] == "formed", formed.text
        duo_ids.append(formed.json()["duo_id"])

    async def known() -> bool:
        return await tracking.fetchval("SELECT count(*) FROM duos WHERE duo_id = ANY($1::uuid[])", duo_ids) == 2

    await eventually(known, 60, "tracking knows both duos from DuoFormed")
    return duo_ids


async def facts_of(tracking: MatchingHarness, duo_id: str) -> list[dict]:
    return json.loads(
        await tracking.fetchval(
            "SELECT coalesce(json_agg(json_build_object('version', stream_version, 'type', event_type, 'data', data) "
            "ORDER BY stream_version), '[]') FROM events WHERE stream_id = 'duo-' || $1",
            duo_id,
        )
    )


async def duo_rows(tracking: MatchingHarness) -> dict[str, list]:
    """Each duo's row as the lists read it: status, meetings, version."""
    return json.loads(
        await tracking.fetchval("SELECT json_object_agg(duo_id, json_build_array(status, meetings, version)) FROM duos")
    )


async def test_several_duos_are_recorded_at_once_each_part_as_its_single_route_records_it(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    first, second = await form_duos(intake, matching, tracking)
    c, formed_on = tracking.client, today_of(tracking)
    day = date.fromordinal(formed_on.toordinal() + 28)
    move_to(tracking, day)
    weeks = [date.fromordinal(formed_on.toordinal() + n) for n in (7, 14)]
    job = {"sector": "Q", "contract_type": "permanent", "hours_per_week": 32.0, "started_on": weeks[1].isoformat()}
    month = {
        "sheets": [
            {
                "duo_id": first,
                "action_plan": {"drawn_up_on": formed_on.isoformat(), "goals": ["cv_ready"]},
                "meetings": [meeting(d) for d in weeks],
                "job": job,
                **SURVEYS,
                "end": {"ended_on": day.isoformat(), "reason": "mentee_found_work"},
            },
            {"duo_id": second, "meetings": [meeting(weeks[0], 90)]},
        ]
    }

    done = await c.post("/duos/batch", json=month, headers={"Idempotency-Key": "month-1"})
    again = await c.post("/duos/batch", json=month, headers={"Idempotency-Key": "month-1"})
    assert done.status_code == 200 and again.status_code == 200, done.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == done.json()
    assert done.json() == {
        "duos": [
            {"duo_id": first, "version": 7, "status": "ended"},
            {"duo_id": second, "version": 1, "status": "active"},
        ]
    }
    facts = await facts_of(tracking, first)
    assert [(f["version"], f["type"]) for f in facts] == list(
        enumerate(
            [
                "ActionPlanDrawnUp",
                "MeetingLogged",
                "MeetingLogged",
                "JobFound",
                "MenteeSurveyRecorded",
                "MentorSurveyRecorded",
                "DuoEnded",
            ],
            start=1,
        )
    )
    assert [f["data"]["met_on"] for f in facts[1:3]] == [d.isoformat() for d in weeks]
    assert facts[3]["data"]["contract_type"] == "permanent" and facts[6]["data"]["reason"] == "mentee_found_work"
    assert [(f["type"], f["data"]["duration_minutes"]) for f in await facts_of(tracking, second)] == [
        ("MeetingLogged", 90)
    ]
    # The rows the lists read, as the single routes leave them.
    assert await duo_rows(tracking) == {first: ["ended", 2, 7], second: ["active", 1, 1]}
    read = await c.get(f"/duos/{first}")
    assert read.json()["mentee_survey_recorded"] and read.json()["jobs"][0]["contract_type"] == "permanent"

    # The follow-up three months after the end, with the second duo's next month.
    move_to(tracking, add_months(day, 3))
    later = {
        "sheets": [
            {"duo_id": first, "follow_ups": [{"months": 3, "status": "employed"}]},
            {"duo_id": second, "meetings": [meeting(add_months(day, 3))]},
        ]
    }
    followed = await c.post("/duos/batch", json=later)
    assert followed.status_code == 200, followed.text
    assert [d["version"] for d in followed.json()["duos"]] == [8, 2]
    assert (await facts_of(tracking, first))[-1]["type"] == "FollowUpRecorded"
    assert await tracking.fetchval("SELECT count(*) FROM follow_ups WHERE recorded_on IS NOT NULL") == 1


async def test_a_problem_in_any_sheet_is_named_by_its_place_and_nothing_of_the_batch_is_recorded(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    first, second = await form_duos(intake, matching, tracking)
    c, today = tracking.client, today_of(tracking)
    tomorrow = date.fromordinal(today.toordinal() + 1)
    good = {"duo_id": first, "meetings": [meeting(today)], **SURVEYS}
    end = {"ended_on": today.isoformat(), "reason": "completed"}
    cases = [
        # The domain's rules of each single route, the place before the field.
        (
            [good, {"duo_id": second, "meetings": [meeting(today), meeting(tomorrow)]}],
            422,
            "sheets.1.meetings.1.met_on",
        ),
        ([good, {"duo_id": second, "end": {"ended_on": tomorrow.isoformat(), "reason": "completed"}}], 422, None),
        ([good, {"duo_id": second, "follow_ups": [{"months": 3, "status": "employed"}]}], 409, None),
        ([good | {"end": end}, {"duo_id": first, "meetings": [meeting(today)]}], 409, "sheets.1.duo_id"),
        ([good, {"duo_id": str(uuid.uuid4()), "meetings": [meeting(today)]}], 404, "sheets.1.duo_id"),
        ([good, {"duo_id": second}], 422, "sheets.1"),
        # The shape, as the bodies check it.
        (
            [good, {"duo_id": second, "end": {"ended_on": today.isoformat(), "reason": "bored"}}],
            422,
            "sheets.1.end.reason",
        ),
        ([good | {"notes": "personal"}], 422, "sheets.0.notes"),
        (
            [good | {"meetings": [meeting(today) | {"duration_minutes": 0}]}],
            422,
            "sheets.0.meetings.0.duration_minutes",
        ),
        ([], 422, "sheets"),
        ([{"duo_id": second, "meetings": [meeting(today)]}] * 51, 422, "sheets"),
    ]
    rules = []
    for sheets, status, field in cases:
        answer = await c.post("/duos/batch", json={"sheets": sheets})
        assert answer.status_code == status, (sheets, answer.text)
        problem = answer.json()["errors"][0]
        place = field or ("sheets.1.end." if status == 422 else "sheets.1.follow_ups.0.")
        assert problem["field"].startswith(place), (sheets, answer.text)
        assert "invalid request" in answer.json()["detail"] or "sheets." in answer.json()["detail"]
        rules.append(problem["rule"])
    assert rules[:6] == [
        "not_in_future",
        "not_in_future",
        "duo_ended_first",
        "duo_active",
        "known_id",
        "something_to_record",
    ], rules
    assert await events_count(tracking) == 0
    assert await duo_rows(tracking) == {first: ["active", 0, 0], second: ["active", 0, 0]}

    # The same sheets, the problem left out: recorded.
    ok = await c.post("/duos/batch", json={"sheets": [good, {"duo_id": second, "end": end}]})
    assert ok.status_code == 200, ok.text
    assert [d["status"] for d in ok.json()["duos"]] == ["active", "ended"]
