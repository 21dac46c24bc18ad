"""Bad input gets a 4xx naming the field and the rule, and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.integration.intake_harness import (
    EXAMPLES_DATED,
    IntakeHarness,
    mentee_body,
    mentor_body,
)

pytestmark = pytest.mark.integration

# Two days on: past the branch's today on the tests' clock whatever the hour in Brussels.
AFTER_TODAY = (EXAMPLES_DATED + timedelta(days=2)).isoformat()
NOTHING = {"events": 0, "personal_data": 0, "people": 0, "idempotency_keys": 0}


def without(body: dict, field: str) -> dict:
    return {k: v for k, v in body.items() if k != field}


BAD_REGISTRATIONS = {
    # name: (path, body, field, rule, words the message must contain)
    "unknown office": (
        "/mentees",
        mentee_body(office="be-nowhere"),
        "office",
        "known_office",
        "unknown office be-nowhere",
    ),
    "unknown NACE section": (
        "/mentees",
        mentee_body(job_target={"sector": "Z", "occupation": "x"}),
        "job_target.sector",
        "nace_section",
        "NACE Rev. 2 section Z",
    ),
    "unknown NACE section of experience": (
        "/mentors",
        mentor_body(experience=[{"sector": "X", "years": 3}]),
        "experience.0.sector",
        "nace_section",
        "section X",
    ),
    "birth date in the future": (
        "/mentees",
        mentee_body(birth_date=AFTER_TODAY),
        "birth_date",
        "not_in_future",
        "future",
    ),
    "mentor birth date in the future": (
        "/mentors",
        mentor_body(birth_date=AFTER_TODAY),
        "birth_date",
        "not_in_future",
        "future",
    ),
    "mentor capacity 0": (
        "/mentors",
        mentor_body(capacity=0),
        "capacity",
        "greater_than_equal",
        "greater than or equal to 1",
    ),
    "mentor capacity 50": (
        "/mentors",
        mentor_body(capacity=50),
        "capacity",
        "less_than_equal",
        "less than or equal to 10",
    ),
    "empty language list": ("/mentees", mentee_body(languages=[]), "languages", "too_short", "at least 1 item"),
    "missing consent": ("/mentees", without(mentee_body(), "consent"), "consent", "missing", "Field required"),
    "consent not given": (
        "/mentors",
        mentor_body(consent={"data_processing": False, "voluntary_participation": True}),
        "consent.data_processing",
        "consent_required",
        "explicit consent",
    ),
    "malformed e-mail": ("/mentees", mentee_body(email="not-an-address"), "email", "email_format", "e-mail address"),
    "unknown field": ("/mentees", mentee_body(shoe_size=42), "shoe_size", "extra_forbidden", "not permitted"),
    "NUL in a first name": (
        "/mentees",
        mentee_body(first_name="Ami\u0000na"),
        "first_name",
        "no_control_characters",
        "control characters",
    ),
    "NUL in a last name": (
        "/mentors",
        mentor_body(last_name="Pee\u0000ters"),
        "last_name",
        "no_control_characters",
        "control characters",
    ),
    "NUL in an e-mail": (
        "/mentees",
        mentee_body(email="a\u0000b@example.org"),
        "email",
        "no_control_characters",
        "control characters",
    ),
    "NUL in a phone": (
        "/mentors",
        mentor_body(phone="+32\u0000470"),
        "phone",
        "no_control_characters",
        "control characters",
    ),
    "NUL in an occupation": (
        "/mentees",
        mentee_body(job_target={"sector": "Q", "occupation": "nurse\u0000"}),
        "job_target.occupation",
        "no_control_characters",
        "control characters",
    ),
    "EU code for Greece": ("/mentees", mentee_body(nationalities=["EL"]), "nationalities.0", "iso_country", "use GR"),
    "UK instead of GB": (
        "/mentees",
        mentee_body(nationalities=["MA", "UK"]),
        "nationalities.1",
        "iso_country",
        "use GB",
    ),
    "UK in the older single field": (
        "/mentees",
        {k: v for k, v in mentee_body(nationality="UK").items() if k != "nationalities"},
        "nationality",
        "iso_country",
        "use GB",
    ),
    "office of another branch": (
        "/mentees",
        mentee_body(office="fr-paris"),
        "office",
        "office_of_branch",
        "not an office of the BE branch",
    ),
}


@pytest.mark.parametrize("case", BAD_REGISTRATIONS.values(), ids=BAD_REGISTRATIONS.keys())
async def test_a_bad_registration_names_field_and_rule_and_appends_nothing(intake: IntakeHarness, case):
    path, body, field, rule, words = case
    response = await intake.client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 422, response.text
    answer = response.json()
    assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in answer["errors"]], (
        answer
    )
    assert words in answer["detail"] and field in answer["detail"]
    assert await intake.counts() == NOTHING


@pytest.mark.parametrize("raw", [b'{"first_name": "Amina",', b"not json", b""], ids=["truncated", "text", "empty"])
async def test_malformed_json_names_the_body_and_appends_nothing(intake: IntakeHarness, raw: bytes):
    response = await intake.client.post("/mentees", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "body" and error["rule"] in ("json_invalid", "missing")
    assert error["message"] in ("JSON decode error", "Field required")
    assert response.json()["detail"] == f"invalid request: body: {error['message']}"
    assert await intake.counts() == NOTHING


async def test_bad_changes_name_field_rule_and_message_and_append_nothing(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    before = await intake.counts()
    mentee, mentor = f"/mentees/{mentee_id}", f"/mentors/{mentor_id}"
    cases = [  # path, body, field, rule, words the message must contain
        (mentee, {"languages": []}, "languages", "too_short", "at least 1 item"),
        (mentee, {"languages": ["ar", "tr"]}, "languages", "programme_language", "must include one of en, fr, nl"),
        (mentee, {"languages": None}, "languages", "not_null", "null is not a change"),
        (
            mentee,
            {"job_target": {"sector": "Q", "occupation": "   "}},
            "job_target.occupation",
            "string_too_short",
            "at least 1 character",
        ),
        (mentee, {}, "body", "at_least_one_field", "at least one field"),
        (mentee, {"birth_date": "1990-01-01"}, "birth_date", "extra_forbidden", "not permitted"),
        (mentor, {"capacity": 0}, "capacity", "greater_than_equal", "greater than or equal to 1"),
        (mentor, {"capacity": 50}, "capacity", "less_than_equal", "less than or equal to 10"),
        (mentor, {"capacity": None}, "capacity", "not_null", "leave the field out"),
        (mentor, {"experience": [{"sector": "ZZ", "years": 1}]}, "experience.0.sector", "nace_section", "section ZZ"),
        (mentor, {"experience": [{"sector": "F", "years": 0}]}, "experience", "professional_experience", "1 year"),
        (mentor, {"languages": ["de"]}, "languages", "programme_language", "must include one of"),
    ]
    for path, body, field, rule, words in cases:
        response = await intake.client.patch(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (field, rule), response.text
        assert words in error["message"] and field in response.json()["detail"], response.text
    posts = [  # path, body, field, rule, words
        (f"{mentor}/training-modules", {"module": "knitting"}, "module", "literal_error", "active_listening"),
        (
            f"{mentor}/training-modules",
            {"module": "active_listening", "completed_on": AFTER_TODAY},
            "completed_on",
            "not_in_future",
            "future",
        ),
        (
            f"{mentor}/training-modules",
            {"module": "active_listening", "completed_on": "2026-01-05"},
            "completed_on",
            "not_before_registration",
            "before the mentor registered",
        ),
        (f"{mentee}/withdrawal", {"reason": "bored"}, "reason", "literal_error", "found_work"),
    ]
    for path, body, field, rule, words in posts:
        response = await intake.client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (field, rule) and words in error["message"], response.text
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
        [error] = response.json()["errors"]
        assert error["rule"] == "known_id" and error["field"] in ("mentee_id", "mentor_id")
        assert "no ment" in response.json()["detail"] and "in this country branch" in error["message"]
    assert (await intake.client.get("/mentees/not-a-uuid")).json()["errors"][0]["field"] == "mentee_id"
    assert await intake.counts() == NOTHING
