"""A mentor's month at once (`POST /duos/{id}/meetings/batch`): one MeetingLogged per meeting, in the order given,
in one transaction; a retry with its Idempotency-Key records nothing twice; a problem anywhere in the list is named
by its place (`meetings.1.met_on`) and nothing of the list is recorded."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.integration.intake_harness import IntakeHarness
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_tracking import events_count, form_duo, move_to, today_of

pytestmark = pytest.mark.integration


def meeting(day: date, minutes: int = 60, topics: tuple[str, ...] = ("job_search",)) -> dict:
    return {"met_on": day.isoformat(), "duration_minutes": minutes, "mode": "in_person", "topics": list(topics)}


async def test_a_months_meetings_are_logged_at_once_each_as_its_own_fact(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    path, c = f"/duos/{duo['duo_id']}", tracking.client
    formed_on = today_of(tracking)
    move_to(tracking, date.fromordinal(formed_on.toordinal() + 28))
    days = [date.fromordinal(formed_on.toordinal() + n) for n in (7, 14, 21, 28)]
    month = {
        "meetings": [
            meeting(d, 60 + 30 * i, ("social", "finance") if i == 2 else ("job_search",)) for i, d in enumerate(days)
        ]
    }

    first = await c.post(f"{path}/meetings/batch", json=month, headers={"Idempotency-Key": "month-1"})
    retry = await c.post(f"{path}/meetings/batch", json=month, headers={"Idempotency-Key": "month-1"})
    assert first.status_code == 201 and retry.status_code == 201, first.text
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == first.json()
    assert first.json()["meetings"] == 4 and first.json()["meeting_minutes"] == 60 + 90 + 120 + 150
    assert first.headers["ETag"] == '"4"'

    facts = json.loads(
        await tracking.fetchval(
            "SELECT json_agg(json_build_object('version', stream_version, 'type', event_type, 'data', data) "
            "ORDER BY stream_version) FROM events WHERE stream_id LIKE '%' || $1",
            duo["duo_id"],
        )
    )
    assert [f["type"] for f in facts] == ["MeetingLogged"] * 4
    assert [f["version"] for f in facts] == [1, 2, 3, 4]
    data = [f["data"] for f in facts]
    assert [d["met_on"] for d in data] == [d.isoformat() for d in days]
    assert data[2]["topics"] == ["social", "finance"] and data[3]["duration_minutes"] == 150


async def test_a_problem_anywhere_in_the_list_is_named_by_its_place_and_records_nothing(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    path, c = f"/duos/{duo['duo_id']}", tracking.client
    today = today_of(tracking)
    tomorrow = date.fromordinal(today.toordinal() + 1)
    yesterday = date.fromordinal(today.toordinal() - 1)
    good = meeting(today)
    cases = [
        ({"meetings": [good, meeting(tomorrow)]}, 422, "meetings.1.met_on", "not_in_future"),
        ({"meetings": [meeting(yesterday), good]}, 422, "meetings.0.met_on", "not_before_duo_formed"),
        (
            {"meetings": [good, good | {"duration_minutes": 0}]},
            422,
            "meetings.1.duration_minutes",
            "greater_than_equal",
        ),
        ({"meetings": [good, good | {"topics": ["gardening"]}]}, 422, "meetings.1.topics.0", "literal_error"),
        ({"meetings": []}, 422, "meetings", "too_short"),
        ({"meetings": [good] * 32}, 422, "meetings", "too_long"),
        ({"meetings": [good], "notes": "personal"}, 422, "notes", "extra_forbidden"),
        ({}, 422, "meetings", "missing"),
    ]
    for body, status, field, rule in cases:
        answer = await c.post(f"{path}/meetings/batch", json=body)
        assert answer.status_code == status, (body, answer.text)
        problem = answer.json()["errors"][0]
        assert (problem["field"], problem["rule"]) == (field, rule), (body, answer.text)
    assert await events_count(tracking) == 0
    assert await tracking.fetchval("SELECT meetings FROM duos WHERE duo_id = $1::uuid", duo["duo_id"]) == 0

    ended = await c.post(f"{path}/end", json={"ended_on": today.isoformat(), "reason": "completed"})
    assert ended.status_code == 200, ended.text
    late = await c.post(f"{path}/meetings/batch", json={"meetings": [good]})
    assert late.status_code == 409 and late.json()["errors"][0]["rule"] == "duo_active"
    assert await events_count(tracking) == 1  # the end only
