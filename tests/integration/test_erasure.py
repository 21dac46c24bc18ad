"""Erasure (GDPR art. 17): a person's personal values are nowhere any more, in any table, topic or log,
a retried old request answers 410 instead of replaying, and the figures do not change."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.config import ServiceSettings
from tests.auth import VERIFIER, bearer
from tests.conftest import eventually
from tests.integration.conftest import service_database
from tests.integration.intake_harness import IntakeHarness, mentee_body, mentor_body

pytestmark = pytest.mark.integration

ADMIN = bearer("BE", Role.BRANCH_ADMIN, subject="admin-1")
FUNDER = bearer("BE", Role.FUNDER, subject="funder-1")


@pytest_asyncio.fixture
async def reporting(infra, intake: IntakeHarness) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Reporting on a database of its own, reading intake's topic."""
    async with service_database(infra, "r") as database_url:
        prefix = intake.topic.removesuffix("duo.intake.events")
        settings = ServiceSettings(
            "reporting",
            database_url,
            infra.kafka_bootstrap,
            topic_prefix=prefix,
            kafka_session_timeout_ms=2000,
            token_verifier=VERIFIER,
        )
        app = create_reporting(settings)
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as c:
            yield c, database_url


async def every_value_in(database_url: str) -> str:
    """The text of every row of every table of a database."""
    con = await asyncpg.connect(database_url)
    try:
        tables = [
            r["tablename"] for r in await con.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        texts = []
        for table in tables:
            texts += [str(list(row.values())) for row in await con.fetch(f'SELECT * FROM "{table}"')]
        return "\n".join(texts)
    finally:
        await con.close()


async def test_an_erased_mentee_leaves_no_personal_value_anywhere_and_the_figures_stay(
    intake: IntakeHarness, reporting, capfd
):
    reporting_client, reporting_db = reporting
    person: dict[str, Any] = {
        "first_name": "Zephyrine",
        "last_name": "Quillfeather",
        "email": f"zq-{uuid.uuid4().hex[:8]}@example.org",
        "phone": "+32 470 99 88 77",
        "birth_date": "1998-07-23",
        "job_target": {"sector": "Q", "occupation": "lighthouse keeper"},
    }
    personal_values = ["Zephyrine", "Quillfeather", person["email"], "470 99 88 77", "1998-07-23", "lighthouse"]
    body, key = mentee_body(**person), {"Idempotency-Key": uuid.uuid4().hex}
    registered = await intake.client.post("/mentees", json=body, headers=key)
    assert registered.status_code == 201, registered.text
    mentee_id = registered.json()["mentee_id"]
    changed = await intake.client.patch(
        f"/mentees/{mentee_id}", json={"job_target": {"sector": "Q", "occupation": "lighthouse keeper, night shift"}}
    )
    assert changed.status_code == 200
    assert (await intake.client.get(f"/mentees/{mentee_id}")).json()["personal"]["first_name"] == "Zephyrine"
    assert (await intake.client.get("/mentees", params={"office": "be-antwerpen"})).status_code == 200

    async def figures() -> dict:
        return (await reporting_client.get("/stats/mentees", headers=FUNDER)).json()

    async def counted() -> bool:
        return (await figures())["total"] == 1

    await eventually(counted, 60, "reporting counting the mentee")
    before = await figures()

    # Only a branch admin erases, with a reason.
    assert (
        await intake.client.post(f"/mentees/{mentee_id}/erasure", json={"reason": "data_subject_request"})
    ).status_code == 403
    erased = await intake.client.post(
        f"/mentees/{mentee_id}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN
    )
    assert erased.status_code == 200 and erased.json()["status"] == "erased", erased.text
    again = await intake.client.post(
        f"/mentees/{mentee_id}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN
    )
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "not_erased"

    profile = (await intake.client.get(f"/mentees/{mentee_id}")).json()
    assert profile["status"] == "erased" and not any(profile["personal"].values())
    retried = await intake.client.post("/mentees", json=body, headers=key)
    assert retried.status_code == 410 and retried.json()["errors"][0]["rule"] == "person_erased"
    assert (await intake.client.patch(f"/mentees/{mentee_id}", json={"languages": ["nl"]})).status_code == 409
    assert await intake.stored_events(f"mentee-{mentee_id}") == [
        "MenteeRegistered",
        "MenteeProfileChanged",
        "PersonalDataErased",
    ]

    await eventually(lambda: _all_published(intake), 30, "every event published")
    assert await figures() == before  # erasure removes people's data, never facts from the figures

    found: dict[str, str] = {
        "intake database": await every_value_in(intake.database_url),
        "reporting database": await every_value_in(reporting_db),
        "intake topic": "\n".join(
            r.value.decode(errors="replace") + str(r.headers)
            for r in await intake.published(lambda records: len(records) >= 3)
        ),
        "logs": "".join(capfd.readouterr()),
    }
    for where, text in found.items():
        for value in personal_values:
            assert value not in text, f"{value!r} is still in the {where}"


async def _all_published(intake: IntakeHarness) -> bool:
    return await intake.count("outbox") == 0


async def test_a_mentor_is_erased_too_and_an_unknown_person_is_not_found(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    erased = await intake.client.post(
        f"/mentors/{mentor_id}/erasure", json={"reason": "consent_withdrawn"}, headers=ADMIN
    )
    assert erased.status_code == 200 and erased.json()["status"] == "erased"
    assert await intake.count("personal_data") == 0
    unknown = await intake.client.post(
        f"/mentors/{uuid.uuid4()}/erasure", json={"reason": "consent_withdrawn"}, headers=ADMIN
    )
    assert unknown.status_code == 404
    other_branch = bearer("NL", Role.BRANCH_ADMIN, subject="admin-nl")
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    assert (
        await intake.client.post(
            f"/mentees/{mentee_id}/erasure", json={"reason": "consent_withdrawn"}, headers=other_branch
        )
    ).status_code == 404
    bad = await intake.client.post(f"/mentees/{mentee_id}/erasure", json={"reason": "because"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"


async def test_a_kept_answer_holds_ids_only_and_a_retry_gets_the_first_answer_from_the_log(intake: IntakeHarness):
    body, key = mentee_body(), {"Idempotency-Key": uuid.uuid4().hex}
    first = await intake.client.post("/mentees", json=body, headers=key)
    con = await asyncpg.connect(intake.database_url)
    try:
        [kept] = await con.fetch("SELECT fingerprint, body FROM idempotency_keys")
    finally:
        await con.close()
    assert set(json.loads(kept["body"])) == {"mentee_id", "version"}  # nothing about the person kept with the key
    assert len(kept["fingerprint"]) == 64 and body["email"] not in str(dict(kept))
    await intake.client.patch(f"/mentees/{first.json()['mentee_id']}", json={"languages": ["nl"]})
    retried = await intake.client.post("/mentees", json=body, headers=key)
    assert retried.json() == first.json() and retried.headers["Idempotent-Replayed"] == "true"  # as first answered
