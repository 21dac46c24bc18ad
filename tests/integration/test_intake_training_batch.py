"""A training day at once (`POST /mentors/{id}/training-modules/batch`): one MentorTrainingModuleCompleted per new
module, MentorTrainingCompleted with the last one, published in that order; a retry with its Idempotency-Key
records nothing twice; a problem anywhere is named by its place and records nothing."""

from __future__ import annotations

import uuid

import pytest

from services.intake.domain.training import TRAINING_MODULES
from tests.integration.intake_harness import IntakeHarness, headers_of, mentor_body

pytestmark = pytest.mark.integration


MODULES = list(TRAINING_MODULES)  # the eight, in the programme's order


async def registered_mentor(intake: IntakeHarness) -> str:
    response = await intake.client.post("/mentors", json=mentor_body(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return str(response.json()["mentor_id"])


async def test_a_training_day_records_each_module_and_the_last_completes_the_training(intake: IntakeHarness):
    mentor_id = await registered_mentor(intake)
    path = f"/mentors/{mentor_id}/training-modules/batch"
    first_day = {"modules": [{"module": m} for m in MODULES[:3]]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await intake.client.post(path, json=first_day, headers=key)
    retried = await intake.client.post(path, json=first_day, headers=key)
    assert first.status_code == 200 and retried.status_code == 200, first.text
    assert retried.headers["Idempotent-Replayed"] == "true" and retried.json()["version"] == first.json()["version"]
    assert first.json()["ready_for_matching"] is False and first.json()["version"] == 4

    second_day = {"modules": [{"module": m} for m in (MODULES[0], *MODULES[3:])]}  # one again
    last = await intake.client.post(path, json=second_day)
    assert last.status_code == 200, last.text
    assert last.json()["ready_for_matching"] is True and last.json()["training_modules_remaining"] == []

    records = await intake.published_stream(f"mentor-{mentor_id}", 10)
    types = [headers_of(r)["ce_type"] for r in records]
    assert types == ["MentorRegistered"] + ["MentorTrainingModuleCompleted"] * 8 + ["MentorTrainingCompleted"]


async def test_a_refused_module_anywhere_records_nothing_and_is_named_by_its_place(intake: IntakeHarness):
    mentor_id = await registered_mentor(intake)
    path = f"/mentors/{mentor_id}/training-modules/batch"
    before = await intake.count("events")
    good = {"module": "active_listening"}
    cases: list[tuple] = [
        ({"modules": [good, {"module": "knitting"}]}, "modules.1.module", "literal_error"),
        ({"modules": [good, {"module": "code_of_conduct", "completed_on": "2999-01-01"}]}, "modules.1.completed_on"),
        ({"modules": [{"module": "code_of_conduct", "completed_on": "2001-01-01"}, good]}, "modules.0.completed_on"),
        ({"modules": []}, "modules", "too_short"),
        ({"modules": [good], "notes": "x"}, "notes", "extra_forbidden"),
    ]
    for body, field, *rule in cases:
        answer = await intake.client.post(path, json=body)
        assert answer.status_code == 422, (body, answer.text)
        problem = answer.json()["errors"][0]
        assert problem["field"] == field and (not rule or problem["rule"] == rule[0]), (body, answer.text)
    assert await intake.count("events") == before
