"""Bad input gets a 4xx naming the field and the rule, and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.intake_harness import IntakeHarness, mentee_body, mentor_body

pytestmark = pytest.mark.integration

TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
NOTHING = {"events": 0, "personal_data": 0, "people": 0, "idempotency_keys": 0}


def without(body: dict, field: str) -> dict:
    return {k: v for k, v in body.items() if k != field}


BAD_REGISTRATIONS = {
    # name: (path, body, field, rule, words the message must contain)
    "unknown office": ("/mentees", mentee_body(office="be-nowhere"), "office", "known_office", "unknown office be-nowhere"),
    "unknown NACE section": ("/mentees", mentee_body(job_target={"sector": "Z", "occupation": "x"}),
                             "job_target.sector", "nace_section", "NACE Rev. 2 section Z"),
    "unknown NACE section of experience": ("/mentors", mentor_body(experience=[{"sector": "X", "years": 3}]),
                                           "experience.0.sector", "nace_section", "section X"),
    "birth date in the future": ("/mentees", mentee_body(birth_date=TOMORROW), "birth_date", "not_in_future", "future"),
    "mentor capacity 0": ("/mentors", mentor_body(capacity=0), "capacity", "greater_than_equal", "greater than or equal to 1"),
    "mentor capacity 50": ("/mentors", mentor_body(capacity=50), "capacity", "less_than_equal", "less than or equal to 10"),
    "empty language list": ("/mentees", mentee_body(languages=[]), "languages", "too_short", "at least 1 item"),
    "missing consent": ("/mentees", without(mentee_body(), "consent"), "consent", "missing", "Field required"),
    "consent not given": ("/mentors", mentor_body(consent={"data_processing": False, "voluntary_participation": True}),
                          "consent.data_processing", "consent_required", "explicit consent"),
    "malformed e-mail": ("/mentees", mentee_body(email="not-an-address"), "email", "email_format", "e-mail address"),
    "unknown field": ("/mentees", mentee_body(shoe_size=42), "shoe_size", "extra_forbidden", "not permitted"),
}


@pytest.mark.parametrize("case", BAD_REGISTRATIONS.values(), ids=BAD_REGISTRATIONS.keys())
async def test_a_bad_registration_names_field_and_rule_and_appends_nothing(intake: IntakeHarness, case):
    path, body, field, rule, words = case
    response = await intake.client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422, response.text
    answer = response.json()
    assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in answer["errors"]], answer
    assert words in answer["detail"] and field in answer["detail"]
    assert await intake.counts() == NOTHING


@pytest.mark.parametrize("raw", [b'{"first_name": "Amina",', b"not json", b""], ids=["truncated", "text", "empty"])
async def test_malformed_json_names_the_body_and_appends_nothing(intake: IntakeHarness, raw: bytes):
    response = await intake.client.post("/mentees", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "body" and error["rule"] in ("json_invalid", "missing")
    assert await intake.counts() == NOTHING


async def test_bad_changes_name_field_and_rule_and_append_nothing(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    before = await intake.counts()
    cases = [
        (f"/mentees/{mentee_id}", {"languages": []}, "languages", "too_short"),
        (f"/mentees/{mentee_id}", {"languages": ["ar", "tr"]}, "languages", "programme_language"),
        (f"/mentees/{mentee_id}", {}, "body", "at_least_one_field"),
        (f"/mentees/{mentee_id}", {"birth_date": "1990-01-01"}, "birth_date", "extra_forbidden"),
        (f"/mentors/{mentor_id}", {"capacity": 0}, "capacity", "greater_than_equal"),
        (f"/mentors/{mentor_id}", {"capacity": 50}, "capacity", "less_than_equal"),
        (f"/mentors/{mentor_id}", {"experience": [{"sector": "ZZ", "years": 1}]}, "experience.0.sector", "nace_section"),
    ]
    for path, body, field, rule in cases:
        response = await intake.client.patch(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [(field, rule)], response.text
    module = await intake.client.post(f"/mentors/{mentor_id}/training-modules", json={"module": "knitting"})
    assert module.status_code == 422 and module.json()["errors"][0]["field"] == "module"
    reason = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "bored"})
    assert reason.status_code == 422 and reason.json()["errors"][0]["field"] == "reason"
    assert await intake.counts() == before


async def test_unknown_ids_are_not_found(intake: IntakeHarness):
    unknown = uuid.uuid4()
    for response in (
        await intake.client.get(f"/mentees/{unknown}"),
        await intake.client.get(f"/mentors/{unknown}"),
        await intake.client.patch(f"/mentees/{unknown}", json={"languages": ["nl"]}),
        await intake.client.post(f"/mentors/{unknown}/withdrawal", json={"reason": "health"}),
    ):
        assert response.status_code == 404, response.text
        assert "no ment" in response.json()["detail"]
    assert (await intake.client.get("/mentees/not-a-uuid")).json()["errors"][0]["field"] == "mentee_id"
    assert await intake.counts() == NOTHING
