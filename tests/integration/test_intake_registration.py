"""Registering mentees and mentors over HTTP, against the real database and broker, read back from Kafka."""

from __future__ import annotations

import asyncio
import uuid

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

PERSONAL_VALUES = ("Amina", "El Idrissi", "example.org", "+32", "1999-04-12", "MA", "nursing assistant")


async def test_an_eligible_mentee_is_registered_and_published_without_personal_data(intake: IntakeHarness):
    correlation = str(uuid.uuid4())
    response = await intake.client.post("/mentees", json=mentee_body(), headers={"X-Correlation-Id": correlation})
    assert response.status_code == 201, response.text
    created = response.json()
    mentee_id = created["mentee_id"]
    # Registered, not matchable yet: the information session and the intake interview come first.
    assert created["status"] == "registered" and created["ready_for_matching"] is False
    assert created["rules_version"] == "2024.1"
    assert created["tenant"] == "BE" and created["age_band"] == "25-29"
    assert "email" not in response.text

    [record] = await intake.published_stream(f"mentee-{mentee_id}", 1)
    headers = headers_of(record)
    assert headers["ce_type"] == "MenteeRegistered"
    assert headers["ce_subject"] == f"mentee-{mentee_id}"
    assert headers["ce_tenant"] == "BE" and headers["ce_office"] == "be-antwerpen"
    assert headers["ce_actor"] == "coordinator-17" and headers["ce_correlationid"] == correlation
    assert body_of(record) == {
        "mentee_id": mentee_id,
        "job_target_sector": "Q",
        "languages": ["fr", "ar", "en"],
        "weekly_availability_hours": 3.0,
        "available_day_parts": ["tue-evening", "sat-morning"],
        "age_band": "25-29",
        "consents": ["data_processing", "voluntary_participation"],
        "rules_version": "2024.1",
    }
    assert not any(value.encode() in record.value for value in PERSONAL_VALUES)

    profile = (await intake.client.get(f"/mentees/{mentee_id}")).json()
    assert profile["personal"]["first_name"] == "Amina"
    assert profile["personal"]["job_target_occupation"] == "nursing assistant"
    assert profile["version"] == 1


async def test_an_ineligible_application_lists_every_failed_rule_and_is_recorded(intake: IntakeHarness):
    body = mentee_body(birth_date="1980-01-01", nationalities=["DE"], residence_permit="temporary", languages=["ar"])
    response = await intake.client.post("/mentees", json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert {(e["field"], e["rule"]) for e in answer["errors"]} == {
        ("birth_date", "max_age"),
        ("nationalities", "non_eu_background"),
        ("residence_permit", "long_term_residence_permit"),
        ("languages", "programme_language"),
    }
    application_id = answer["application_id"]
    [record] = await intake.published_stream(f"application-{application_id}", 1)
    assert headers_of(record)["ce_type"] == "MenteeApplicationRejected"
    assert body_of(record)["failed_rules"] == [
        "max_age",
        "non_eu_background",
        "long_term_residence_permit",
        "programme_language",
    ]
    assert body_of(record)["age_band"] == "35-49"
    assert await intake.count("personal_data") == 0 and await intake.count("people") == 0


async def test_the_same_email_twice_in_a_branch_is_a_conflict_naming_the_existing_id(intake: IntakeHarness):
    first = await intake.client.post("/mentees", json=mentee_body(email="Twice@Example.org"))
    before = await intake.counts()
    again = await intake.client.post("/mentees", json=mentee_body(email=" twice@example.ORG "))
    assert again.status_code == 409, again.text
    assert again.json()["existing_id"] == first.json()["mentee_id"]
    assert (again.json()["existing_kind"], again.json()["existing_status"]) == ("mentee", "registered")
    assert again.json()["errors"][0] == {"field": "email", "rule": "unique_email", "message": again.json()["detail"]}
    as_mentor = await intake.client.post("/mentors", json=mentor_body(email="twice@example.org"))
    assert as_mentor.status_code == 409
    assert await intake.counts() == before


async def test_concurrent_registrations_of_one_email_register_it_once(intake: IntakeHarness):
    body = mentee_body()
    answers = await asyncio.gather(*(intake.client.post("/mentees", json=body) for _ in range(5)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 201).json()["mentee_id"]
    assert all(a.json()["existing_id"] == winner for a in answers if a.status_code == 409)
    assert await intake.count("events") == 1 and await intake.count("personal_data") == 1


async def test_a_retried_post_with_the_same_idempotency_key_gets_the_first_answer(intake: IntakeHarness):
    body, key = mentee_body(), {"Idempotency-Key": str(uuid.uuid4())}
    first = await intake.client.post("/mentees", json=body, headers=key)
    retried = await intake.client.post("/mentees", json=body, headers=key)
    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json() and retried.headers["Idempotent-Replayed"] == "true"
    assert await intake.count("events") == 1

    before = await intake.counts()
    other = await intake.client.post("/mentees", json=mentee_body(), headers=key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await intake.counts() == before


async def test_a_retried_ineligible_application_is_recorded_once(intake: IntakeHarness):
    body, key = mentee_body(birth_date="1970-05-05"), {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    first = await intake.client.post("/mentees", json=body, headers=key)
    retried = await intake.client.post("/mentees", json=body, headers=key)
    assert first.status_code == retried.status_code == 422
    assert retried.json()["application_id"] == first.json()["application_id"]
    assert await intake.count("events") == 1


async def test_a_mentor_becomes_ready_for_matching_after_all_eight_modules(intake: IntakeHarness):
    response = await intake.client.post("/mentors", json=mentor_body(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    mentor = response.json()
    assert mentor["status"] == "in_training" and mentor["ready_for_matching"] is False
    assert mentor["capacity"] == 1 and mentor["age_band"] == "65-69"

    last = (await complete_training(intake.client, mentor["mentor_id"])).json()
    assert last["ready_for_matching"] is True and last["training_modules_remaining"] == []
    again = await intake.client.post(
        f"/mentors/{mentor['mentor_id']}/training-modules", json={"module": "active_listening"}
    )
    assert again.json()["version"] == last["version"]  # a repeated module is no new fact

    records = await intake.published_stream(f"mentor-{mentor['mentor_id']}", 10)
    types = [headers_of(r)["ce_type"] for r in records]
    assert types == ["MentorRegistered"] + ["MentorTrainingModuleCompleted"] * 8 + ["MentorTrainingCompleted"]
    assert body_of(records[0])["experience"] == [{"sector": "Q", "years": 30}, {"sector": "P", "years": 5}]
    assert body_of(records[0])["sectors"] == ["Q", "P"]
    assert b"Peeters" not in records[0].value and b"1958" not in records[0].value


async def test_a_mentor_under_fifty_is_refused_and_only_the_refusal_is_recorded(intake: IntakeHarness):
    response = await intake.client.post("/mentors", json=mentor_body(birth_date="1990-01-01", languages=["de"]))
    assert response.status_code == 422
    assert {(e["field"], e["rule"]) for e in response.json()["errors"]} == {
        ("birth_date", "min_age"),
        ("languages", "programme_language"),
    }
    application_id = response.json()["application_id"]
    assert await intake.stored_events(f"application-{application_id}") == ["MentorApplicationRejected"]
    assert await intake.counts() == {"events": 1, "personal_data": 0, "people": 0, "idempotency_keys": 0}


async def test_a_mentor_takes_one_duo_at_a_time_unless_told_otherwise(intake: IntakeHarness):
    body = {k: v for k, v in mentor_body().items() if k != "capacity"}
    answer = await intake.client.post("/mentors", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["capacity"] == 1
    [record] = await intake.published_stream(f"mentor-{answer.json()['mentor_id']}", 1)
    assert headers_of(record)["ce_type"] == "MentorRegistered" and body_of(record)["capacity"] == 1
