"""Duplicates are found whatever the e-mail's spelling, and retries with an Idempotency-Key change nothing twice."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.integration.intake_harness import IntakeHarness, mentee_body, mentor_body

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("jose\u0301.{n}@example.org", "jos\u00e9.{n}@example.org"),
        ("amina{n}@example.org", "\uff41\uff4d\uff49\uff4e\uff41{n}@example.org"),
        ("amina{n}@m\u00fcnchen.de", "AMINA{n}@xn--mnchen-3ya.de"),
    ],
    ids=["decomposed é", "fullwidth letters", "IDNA domain"],
)
async def test_one_address_spelled_differently_is_a_duplicate(intake: IntakeHarness, first: str, again: str):
    n = uuid.uuid4().hex[:6]
    registered = await intake.client.post("/mentees", json=mentee_body(email=first.format(n=n)))
    assert registered.status_code == 201, registered.text
    duplicate = await intake.client.post("/mentors", json=mentor_body(email=again.format(n=n)))
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["existing_id"] == registered.json()["mentee_id"]


async def test_a_duplicate_names_the_existing_persons_kind_and_status(intake: IntakeHarness):
    mentor = (await intake.client.post("/mentors", json=mentor_body(email="Marc.Twice@example.org"))).json()
    answer = (await intake.client.post("/mentees", json=mentee_body(email="marc.twice@example.org"))).json()
    assert (answer["existing_id"], answer["existing_kind"], answer["existing_status"]) == (
        mentor["mentor_id"],
        "mentor",
        "in_training",
    )

    mentee_id = (await intake.client.post("/mentees", json=mentee_body(email="gone@example.org"))).json()["mentee_id"]
    await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "moved_away"})
    rejoin = await intake.client.post("/mentees", json=mentee_body(email="gone@example.org"))
    assert rejoin.status_code == 409
    assert (rejoin.json()["existing_kind"], rejoin.json()["existing_status"]) == ("mentee", "withdrawn")
    assert "withdrawn" in rejoin.json()["detail"]
    assert f"POST /mentees/{mentee_id}/rejoin" in rejoin.json()["errors"][0]["message"]


async def test_concurrent_requests_with_one_key_have_one_effect_and_the_others_replay_it(intake: IntakeHarness):
    body, key = mentee_body(), {"Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(*(intake.client.post("/mentees", json=body, headers=key) for _ in range(5)))
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["mentee_id"] for a in answers}) == 1
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true", "true", "true", "true"]
    assert await intake.count("events") == 1 and await intake.count("personal_data") == 1


async def test_a_retried_change_withdrawal_or_training_module_is_recorded_once(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    commands = [
        ("PATCH", f"/mentors/{mentor_id}", {"capacity": 2}, {"capacity": 3}),
        (
            "POST",
            f"/mentors/{mentor_id}/training-modules",
            {"module": "active_listening"},
            {"module": "code_of_conduct"},
        ),
        ("POST", f"/mentors/{mentor_id}/withdrawal", {"reason": "health"}, {"reason": "other"}),
    ]
    for method, path, body, other_body in commands:
        key = {"Idempotency-Key": uuid.uuid4().hex}
        first = await intake.client.request(method, path, json=body, headers=key)
        retried = await intake.client.request(method, path, json=body, headers=key)
        assert first.status_code == retried.status_code == 200, (path, first.text, retried.text)
        assert retried.json() == first.json() and retried.headers["Idempotent-Replayed"] == "true"
        assert retried.headers["ETag"] == first.headers["ETag"]
        other = await intake.client.request(method, path, json=other_body, headers=key)
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key", other.text
    assert await intake.stored_events(f"mentor-{mentor_id}") == [
        "MentorRegistered",
        "MentorProfileChanged",
        "MentorTrainingModuleCompleted",
        "MentorWithdrawn",
    ]


async def test_a_retry_with_if_match_replays_the_first_answer_where_a_new_change_would_conflict(intake: IntakeHarness):
    registered = await intake.client.post("/mentors", json=mentor_body())
    mentor_id, version = registered.json()["mentor_id"], registered.headers["ETag"]
    headers = {"Idempotency-Key": uuid.uuid4().hex, "If-Match": version}
    first = await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2}, headers=headers)
    # The retry's If-Match names the version its first request changed: it gets that request's answer, not a 409.
    retried = await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2}, headers=headers)
    assert first.status_code == retried.status_code == 200, (first.text, retried.text)
    assert retried.json() == first.json() and retried.headers["Idempotent-Replayed"] == "true"
    stale = await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2}, headers={"If-Match": version})
    assert stale.status_code == 409, stale.text
    assert await intake.stored_events(f"mentor-{mentor_id}") == ["MentorRegistered", "MentorProfileChanged"]
