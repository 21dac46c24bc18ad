"""Every read and write is scoped to the caller's country branch (X-Tenant): another branch's people do not exist."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.intake_harness import (
    BE,
    FR,
    IntakeHarness,
    complete_training,
    mentee_body,
    mentor_body,
)

pytestmark = pytest.mark.integration

FRENCH_MENTEE = {"office": "fr-paris", "languages": ["fr"], "birth_date": "2000-03-03"}


async def test_a_belgian_caller_can_neither_read_change_nor_list_a_french_person(intake: IntakeHarness):
    answer = await intake.client.post("/mentees", json=mentee_body(**FRENCH_MENTEE), headers=FR)
    assert answer.status_code == 201 and answer.json()["tenant"] == "FR", answer.text
    mentee_id = answer.json()["mentee_id"]
    mentor = await intake.client.post("/mentors", json=mentor_body(office="fr-lyon", languages=["fr"]), headers=FR)
    mentor_id = mentor.json()["mentor_id"]
    before = await intake.counts()

    for response in (
        await intake.client.get(f"/mentees/{mentee_id}", headers=BE),
        await intake.client.patch(f"/mentees/{mentee_id}", json={"languages": ["en"]}, headers=BE),
        await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "other"}, headers=BE),
        await intake.client.get(f"/mentors/{mentor_id}", headers=BE),
        await intake.client.patch(f"/mentors/{mentor_id}", json={"capacity": 2}, headers=BE),
        await intake.client.post(
            f"/mentors/{mentor_id}/training-modules", json={"module": "active_listening"}, headers=BE
        ),
        await intake.client.post(f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"}, headers=BE),
    ):
        assert response.status_code == 404, response.text  # not 403: a branch cannot even learn the id exists
        assert "Amina" not in response.text and "personal" not in response.json()
    for path in ("/mentees", "/mentors"):
        listing = await intake.client.get(path, params={"office": "fr-paris"}, headers=BE)
        assert listing.status_code == 422, listing.text
        assert listing.json()["errors"][0] == {
            "field": "office",
            "rule": "office_of_branch",
            "message": "office fr-paris is not an office of the BE branch",
        }
    assert await intake.counts() == before

    own = await intake.client.get(f"/mentees/{mentee_id}", headers=FR)
    assert own.status_code == 200 and own.json()["personal"]["first_name"] == "Amina"
    assert (await complete_training(intake.client, mentor_id, FR)).json()["ready_for_matching"] is True
    french = (await intake.client.get("/mentees", params={"office": "fr-paris"}, headers=FR)).json()
    assert [p["person_id"] for p in french["items"]] == [mentee_id]


async def test_a_branch_registers_only_at_its_own_offices(intake: IntakeHarness):
    for path, body in (("/mentees", mentee_body(office="nl-amsterdam")), ("/mentors", mentor_body(office="fr-lille"))):
        response = await intake.client.post(path, json=body, headers=BE)
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [("office", "office_of_branch")]
    assert await intake.count("events") == 0


async def test_the_same_email_in_two_branches_is_two_people(intake: IntakeHarness):
    email = f"{uuid.uuid4().hex[:8]}@example.org"
    be = await intake.client.post("/mentees", json=mentee_body(email=email), headers=BE)
    fr = await intake.client.post("/mentees", json=mentee_body(email=email, **FRENCH_MENTEE), headers=FR)
    assert be.status_code == fr.status_code == 201, (be.text, fr.text)


async def test_two_branches_use_the_same_idempotency_key_independently(intake: IntakeHarness):
    key = {"Idempotency-Key": "registration-1"}
    be = await intake.client.post("/mentees", json=mentee_body(), headers=BE | key)
    fr = await intake.client.post("/mentees", json=mentee_body(**FRENCH_MENTEE), headers=FR | key)
    assert be.status_code == fr.status_code == 201, (be.text, fr.text)
    assert "Idempotent-Replayed" not in fr.headers and fr.json()["mentee_id"] != be.json()["mentee_id"]
    again = await intake.client.post("/mentees", json=mentee_body(**FRENCH_MENTEE), headers=BE | key)
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await intake.count("events") == 2 and await intake.count("idempotency_keys") == 2
