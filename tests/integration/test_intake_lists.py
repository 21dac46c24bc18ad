"""Lists by office: filters, paging, values as sent, and one snapshot for the total and the page."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.conftest import eventually
from tests.integration.intake_harness import (
    IntakeHarness,
    complete_training,
    make_ready,
    mentee_body,
    mentor_body,
)

pytestmark = pytest.mark.integration


async def test_a_registration_committing_between_count_and_page_does_not_split_them(intake: IntakeHarness):
    for _ in range(2):
        assert (await intake.client.post("/mentees", json=mentee_body())).status_code == 201
    writer = await asyncpg.connect(intake.database_url)
    watcher = await asyncpg.connect(intake.database_url)
    try:
        # The writer holds the personal data (which the page query joins) and adds a person:
        # the list's count runs, its page query waits, and the writer commits in between.
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("LOCK TABLE personal_data IN ACCESS EXCLUSIVE MODE")
        await writer.execute(
            """INSERT INTO people (person_id, kind, tenant, office, status, ready_for_matching, sectors, languages,
                                   available_day_parts, version, registered_at)
               VALUES ($1, 'mentee', 'BE', 'be-antwerpen', 'registered', true, '{Q}', '{fr}', '{}', 1, now())""",
            uuid.uuid4(),
        )
        listing = asyncio.create_task(intake.client.get("/mentees", params={"office": "be-antwerpen"}))

        async def page_query_waits() -> bool:
            return bool(
                await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )

        await eventually(page_query_waits, 10, "the list's page query waiting for the lock")
        await transaction.commit()
        page = (await listing).json()
    finally:
        await writer.close()
        await watcher.close()
    assert page["total"] == len(page["items"]) == 2, page
    assert page["next_offset"] is None


async def test_lists_by_office_filter_and_page(intake: IntakeHarness):
    ids = [(await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"] for _ in range(3)]
    other_sector = (
        await intake.client.post("/mentees", json=mentee_body(job_target={"sector": "F", "occupation": "mason"}))
    ).json()["mentee_id"]
    await intake.client.post("/mentees", json=mentee_body(office="be-gent"))
    await intake.client.post(f"/mentees/{ids[0]}/withdrawal", json={"reason": "moved_away"})
    for mentee_id in (*ids, other_sector):  # ready for matching only after the steps
        if mentee_id != ids[0]:
            await make_ready(intake.client, mentee_id)

    page = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "limit": 2})).json()
    assert page["total"] == 4 and page["next_offset"] == 2
    assert [p["person_id"] for p in page["items"]] == ids[:2]
    assert page["items"][0]["first_name"] == "Amina" and "email" not in page["items"][0]
    rest = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "limit": 2, "offset": 2})).json()
    assert [p["person_id"] for p in rest["items"]] == [ids[2], other_sector] and rest["next_offset"] is None

    ready_q = (
        await intake.client.get(
            "/mentees", params={"office": "be-antwerpen", "job_target": "Q", "ready_for_matching": "true"}
        )
    ).json()
    assert [p["person_id"] for p in ready_q["items"]] == ids[1:3]
    withdrawn = (await intake.client.get("/mentees", params={"office": "be-antwerpen", "status": "withdrawn"})).json()
    assert [p["person_id"] for p in withdrawn["items"]] == [ids[0]]

    trained, untrained, builder = [
        (await intake.client.post("/mentors", json=mentor_body(experience=experience))).json()["mentor_id"]
        for experience in ([{"sector": "P", "years": 9}], [{"sector": "P", "years": 4}], [{"sector": "F", "years": 30}])
    ]
    await complete_training(intake.client, trained)
    ready = (
        await intake.client.get("/mentors", params={"office": "be-antwerpen", "ready_for_matching": "true"})
    ).json()
    assert [p["person_id"] for p in ready["items"]] == [trained]
    in_training = (
        await intake.client.get("/mentors", params={"office": "be-antwerpen", "status": "in_training", "sector": "P"})
    ).json()
    assert [p["person_id"] for p in in_training["items"]] == [untrained]  # the builder (sector F) is filtered out
    construction = (await intake.client.get("/mentors", params={"office": "be-antwerpen", "sector": "F"})).json()
    assert [p["person_id"] for p in construction["items"]] == [builder]

    unknown = await intake.client.get("/mentees", params={"office": "be-nowhere"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "office"


async def test_availability_hours_come_back_as_sent(intake: IntakeHarness):
    body = mentee_body(availability={"hours_per_week": 2.7, "day_parts": []})
    mentee_id = (await intake.client.post("/mentees", json=body)).json()["mentee_id"]
    [listed] = (await intake.client.get("/mentees", params={"office": "be-antwerpen"})).json()["items"]
    assert listed["person_id"] == mentee_id and listed["weekly_availability_hours"] == 2.7
