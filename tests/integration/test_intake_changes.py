"""Changes and withdrawals, optimistic concurrency, and lists by office, over HTTP against the real stack."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.intake_harness import (
    IntakeHarness,
    body_of,
    headers_of,
    mentee_body,
    mentor_body,
)

pytestmark = pytest.mark.integration


async def test_a_mentee_profile_change_is_an_event_and_the_profile_follows(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    change = {
        "languages": ["nl", "en"],
        "job_target": {"sector": "I", "occupation": "cook"},
        "availability": {"hours_per_week": 4, "day_parts": ["wed-evening"]},
    }
    response = await intake.client.patch(f"/mentees/{mentee_id}", json=change, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'

    [_, record] = await intake.published_stream(f"mentee-{mentee_id}", 2)
    assert headers_of(record)["ce_type"] == "MenteeProfileChanged"
    assert body_of(record) == {
        "mentee_id": mentee_id,
        "job_target_sector": "I",
        "languages": ["nl", "en"],
        "weekly_availability_hours": 4.0,
        "available_day_parts": ["wed-evening"],
        "changed_fields": [
            "languages",
            "job_target_sector",
            "weekly_availability_hours",
            "available_day_parts",
            "job_target_occupation",
        ],
    }
    assert b"cook" not in record.value
    profile = (await intake.client.get(f"/mentees/{mentee_id}")).json()
    assert profile["languages"] == ["nl", "en"] and profile["job_target_sector"] == "I"
    assert profile["personal"]["job_target_occupation"] == "cook" and profile["version"] == 2

    same = await intake.client.patch(f"/mentees/{mentee_id}", json=change)
    assert same.status_code == 200 and same.json()["version"] == 2  # nothing changed, nothing appended
    assert await intake.stored_events(f"mentee-{mentee_id}") == ["MenteeRegistered", "MenteeProfileChanged"]


async def test_a_change_based_on_a_stale_version_is_a_conflict_in_the_shape_of_every_4xx(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    assert (await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2})).status_code == 200
    before = await intake.counts()
    for stale in (
        await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 3}, headers={"If-Match": '"1"'}),
        await intake.client.post(
            f"/mentors/{mentor_id}/training-modules", json={"module": "active_listening"}, headers={"If-Match": 'W/"1"'}
        ),
        await intake.client.post(
            f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"}, headers={"If-Match": "1"}
        ),
    ):
        assert stale.status_code == 409, stale.text
        answer = stale.json()
        assert answer["errors"] == [
            {
                "field": "If-Match",
                "rule": "current_version",
                "message": "the change was based on version 1; the current version is 2",
            }
        ]
        assert answer["stream_id"] == f"mentor-{mentor_id}" and answer["current_version"] == 2
        assert "reload and retry" in answer["detail"]
    assert await intake.counts() == before
    assert (await intake.client.get(f"/mentors/{mentor_id}")).json()["capacity"] == 2
    current = await intake.client.post(
        f"/mentors/{mentor_id}/training-modules", json={"module": "active_listening"}, headers={"If-Match": '"2"'}
    )
    assert current.status_code == 200 and current.headers["ETag"] == '"3"'
    anything = await intake.client.post(
        f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"}, headers={"If-Match": "*"}
    )
    assert anything.status_code == 200 and anything.json()["status"] == "withdrawn"


async def test_concurrent_changes_without_if_match_all_apply_and_none_is_lost(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    changes = [
        {"capacity": 3},
        {"languages": ["nl", "en"]},
        {"experience": [{"sector": "F", "years": 12}]},
        {"availability": {"hours_per_week": 5, "day_parts": ["mon-morning"]}},
        {"capacity": 2},
    ]
    answers = await asyncio.gather(*(intake.client.patch(f"/mentors/{mentor_id}", json=c) for c in changes))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert await intake.stored_events(f"mentor-{mentor_id}") == ["MentorRegistered"] + ["MentorProfileChanged"] * 5
    profile = (await intake.client.get(f"/mentors/{mentor_id}")).json()
    assert profile["version"] == 6 and profile["languages"] == ["nl", "en"]
    assert profile["experience"] == [{"sector": "F", "years": 12}]
    assert profile["availability"] == {"hours_per_week": 5.0, "day_parts": ["mon-morning"]}
    last_capacity = 3 if answers[0].json()["version"] > answers[4].json()["version"] else 2
    assert profile["capacity"] == last_capacity


async def test_concurrent_changes_with_the_same_if_match_let_one_win(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    answers = await asyncio.gather(
        *(
            intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": n}, headers={"If-Match": '"1"'})
            for n in range(2, 7)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409]
    assert len(await intake.stored_events(f"mentor-{mentor_id}")) == 2


async def test_withdrawal_is_recorded_with_its_reason_and_ends_changes(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    training = {"started_on": "2026-11-20", "qualifying": True}
    response = await intake.client.post(
        f"/mentees/{mentee_id}/withdrawal", json={"reason": "started_training", "training": training}
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn", response.text
    assert response.json()["ready_for_matching"] is False
    [_, outcome, record] = await intake.published_stream(f"mentee-{mentee_id}", 3)
    assert headers_of(outcome)["ce_type"] == "MenteeOutcomeBeforeDuo"
    assert body_of(outcome)["kind"] == "training" and body_of(outcome)["qualifying"] is True
    assert headers_of(record)["ce_type"] == "MenteeWithdrawn"
    assert body_of(record) == {"mentee_id": mentee_id, "reason": "started_training"}

    later = await intake.client.patch(f"/mentees/{mentee_id}", json={"languages": ["fr"]})
    assert later.status_code == 409 and later.json()["errors"][0]["rule"] == "not_withdrawn"
    twice = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "other"})
    assert twice.status_code == 409
    assert await intake.stored_events(f"mentee-{mentee_id}") == [
        "MenteeRegistered",
        "MenteeOutcomeBeforeDuo",
        "MenteeWithdrawn",
    ]


async def test_a_mentor_withdraws(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    response = await intake.client.post(f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    module = await intake.client.post(f"/mentors/{mentor_id}/training-modules", json={"module": "active_listening"})
    assert module.status_code == 409
    [_, record] = await intake.published_stream(f"mentor-{mentor_id}", 2)
    assert headers_of(record)["ce_type"] == "MentorWithdrawn"
