"""Changes and withdrawals, optimistic concurrency, and lists by office, over HTTP against the real stack."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.intake_harness import (
    IntakeHarness,
    body_of,
    complete_training,
    headers_of,
    mentee_body,
    mentor_body,
)

pytestmark = pytest.mark.integration


async def test_a_mentee_profile_change_is_an_event_and_the_profile_follows(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    change = {"languages": ["nl", "en"], "job_target": {"sector": "I", "occupation": "cook"},
              "availability": {"hours_per_week": 4, "day_parts": ["wed-evening"]}}
    response = await intake.client.patch(f"/mentees/{mentee_id}", json=change, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'

    [_, record] = await intake.published_stream(f"mentee-{mentee_id}", 2)
    assert headers_of(record)["ce_type"] == "MenteeProfileChanged"
    assert body_of(record) == {
        "mentee_id": mentee_id, "job_target_sector": "I", "languages": ["nl", "en"],
        "weekly_availability_hours": 4.0, "available_day_parts": ["wed-evening"],
        "changed_fields": ["languages", "job_target_sector", "weekly_availability_hours", "available_day_parts",
                           "job_target_occupation"],
    }
    assert b"cook" not in record.value
    profile = (await intake.client.get(f"/mentees/{mentee_id}")).json()
    assert profile["languages"] == ["nl", "en"] and profile["job_target_sector"] == "I"
    assert profile["personal"]["job_target_occupation"] == "cook" and profile["version"] == 2

    same = await intake.client.patch(f"/mentees/{mentee_id}", json=change)
    assert same.status_code == 200 and same.json()["version"] == 2  # nothing changed, nothing appended
    assert await intake.stored_events(f"mentee-{mentee_id}") == ["MenteeRegistered", "MenteeProfileChanged"]


async def test_a_change_based_on_a_stale_version_is_a_conflict(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    assert (await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2})).status_code == 200
    stale = await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 3}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409, stale.text
    assert stale.json()["stream_id"] == f"mentor-{mentor_id}"
    assert (await intake.client.get(f"/mentors/{mentor_id}")).json()["capacity"] == 2


async def test_concurrent_changes_never_lose_an_update(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    answers = await asyncio.gather(*(
        intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": n}) for n in range(2, 8)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409} and 200 in statuses
    events = await intake.stored_events(f"mentor-{mentor_id}")
    assert len(events) == 1 + statuses.count(200)  # each 200 is one appended change, each 409 none


async def test_withdrawal_is_recorded_with_its_reason_and_ends_changes(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    response = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "found_work"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert response.json()["ready_for_matching"] is False
    [_, record] = await intake.published_stream(f"mentee-{mentee_id}", 2)
    assert headers_of(record)["ce_type"] == "MenteeWithdrawn"
    assert body_of(record) == {"mentee_id": mentee_id, "reason": "found_work"}

    later = await intake.client.patch(f"/mentees/{mentee_id}", json={"languages": ["fr"]})
    assert later.status_code == 409 and later.json()["errors"][0]["rule"] == "not_withdrawn"
    twice = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "other"})
    assert twice.status_code == 409
    assert await intake.stored_events(f"mentee-{mentee_id}") == ["MenteeRegistered", "MenteeWithdrawn"]


async def test_a_mentor_withdraws(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    response = await intake.client.post(f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    module = await intake.client.post(f"/mentors/{mentor_id}/training-modules", json={"module": "active_listening"})
    assert module.status_code == 409
    [_, record] = await intake.published_stream(f"mentor-{mentor_id}", 2)
    assert headers_of(record)["ce_type"] == "MentorWithdrawn"


async def test_lists_by_office_filter_and_page(intake: IntakeHarness):
    ids = [(await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"] for _ in range(3)]
    other_sector = (await intake.client.post("/mentees", json=mentee_body(
        job_target={"sector": "F", "occupation": "mason"}))).json()["mentee_id"]
    await intake.client.post("/mentees", json=mentee_body(office="be-gent"))
    await intake.client.post(f"/mentees/{ids[0]}/withdrawal", json={"reason": "moved_away"})

    page = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "limit": 2})).json()
    assert page["total"] == 4 and page["next_offset"] == 2
    assert [p["person_id"] for p in page["items"]] == ids[:2]
    assert page["items"][0]["first_name"] == "Amina" and "email" not in page["items"][0]
    rest = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "limit": 2, "offset": 2})).json()
    assert [p["person_id"] for p in rest["items"]] == [ids[2], other_sector] and rest["next_offset"] is None

    ready_q = (await intake.client.get("/mentees", params={
        "office": "be-antwerpen", "job_target": "Q", "ready_for_matching": "true"})).json()
    assert [p["person_id"] for p in ready_q["items"]] == ids[1:3]
    withdrawn = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "status": "withdrawn"})).json()
    assert [p["person_id"] for p in withdrawn["items"]] == [ids[0]]

    trained, untrained = [(await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"] for _ in range(2)]
    await complete_training(intake.client, trained)
    ready = (await intake.client.get("/mentors", params={"office": "be-antwerpen", "ready_for_matching": "true"})).json()
    assert [p["person_id"] for p in ready["items"]] == [trained]
    in_training = (await intake.client.get("/mentors", params={"office": "be-antwerpen", "status": "in_training",
                                                               "sector": "P"})).json()
    assert [p["person_id"] for p in in_training["items"]] == [untrained]

    unknown = await intake.client.get("/mentees", params={"office": "be-nowhere"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "office"
