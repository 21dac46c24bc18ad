"""A mentor's employment over HTTP against the real stack: the status and the employer's release published in
MentorEmploymentRecorded, the employer's name only in the mentor's personal data (never on the topic); a refused
body names its field and changes nothing."""

from __future__ import annotations

import pytest

from tests.integration.intake_harness import IntakeHarness, body_of, headers_of, mentor_body

pytestmark = pytest.mark.integration


async def test_employment_is_an_event_without_the_employers_name_which_stays_in_the_personal_data(
    intake: IntakeHarness,
):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    path = f"/mentors/{mentor_id}/employment"
    body = {"status": "employed", "employer_released": True, "employer": "Stad Antwerpen"}
    recorded = await intake.client.put(path, json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["employment_status"] == "employed" and recorded.json()["employer_released"] is True

    [_, record] = await intake.published_stream(f"mentor-{mentor_id}", 2)
    assert headers_of(record)["ce_type"] == "MentorEmploymentRecorded"
    assert body_of(record) == {"mentor_id": mentor_id, "status": "employed", "employer_released": True}
    assert b"Antwerpen" not in record.value
    profile = (await intake.client.get(f"/mentors/{mentor_id}")).json()
    assert profile["personal"]["employer"] == "Stad Antwerpen" and profile["employment_status"] == "employed"

    before = await intake.counts()
    refused = [
        ({"status": "pensioner"}, "status"),
        ({"status": "retired", "employer_released": True}, "employer_released"),
        ({"status": "retired", "employer": "Stad Antwerpen"}, "employer"),
        ({"status": "employed", "employer_released": "yes"}, "employer_released"),
        ({"status": "employed", "employer": ""}, "employer"),
        ({"status": "employed", "boss": "X"}, "boss"),
    ]
    for bad, field in refused:
        answer = await intake.client.put(path, json=bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["field"] == field, (bad, answer.text)
    assert await intake.counts() == before
    assert await intake.stored_events(f"mentor-{mentor_id}") == ["MentorRegistered", "MentorEmploymentRecorded"]
    assert (await intake.client.get(f"/mentors/{mentor_id}")).json()["personal"]["employer"] == "Stad Antwerpen"
