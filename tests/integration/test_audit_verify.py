"""`duo audit verify`: the store's hash chain vouches for every published event, and names the one edited or deleted."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.cli import duo
from tests.conftest import eventually
from tests.integration.intake_harness import IntakeHarness, mentee_body

pytestmark = pytest.mark.integration


async def audit(intake: IntakeHarness, tmp_path, *args: str):
    env = {
        "INTAKE_DATABASE_URL": intake.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": intake.kafka_bootstrap,
        "DUO_TOPIC_PREFIX": intake.topic.removesuffix("duo.intake.events"),
    }
    return await asyncio.to_thread(duo, tmp_path, "audit", "verify", "intake", *args, **env)


async def registered_and_published(intake: IntakeHarness, count: int) -> list[int]:
    for _ in range(count):
        assert (await intake.client.post("/mentees", json=mentee_body())).status_code == 201

    async def all_chained() -> bool:
        return await intake.count("event_chain") == count and await intake.count("outbox") == 0

    await eventually(all_chained, 30, "every event chained and published")
    con = await asyncpg.connect(intake.database_url)
    try:
        return [
            r["global_position"] for r in await con.fetch("SELECT global_position FROM event_chain ORDER BY chain_seq")
        ]
    finally:
        await con.close()


async def test_an_untouched_store_and_its_topic_verify(intake: IntakeHarness, tmp_path):
    await registered_and_published(intake, 4)
    result = await audit(intake, tmp_path, "--topic")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intake: verified 4 events" in result.stdout
    assert "every published event agrees with the store" in result.stdout
    [record] = (await intake.published(lambda records: len(records) >= 4))[:1]
    assert dict(record.headers)["ce_chainhash"]  # the chain's head travels with each event


async def test_an_event_edited_by_hand_is_named(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    con = await asyncpg.connect(intake.database_url)
    try:
        event_id = await con.fetchval(
            "UPDATE events SET data = jsonb_set(data, '{job_target_sector}', '\"F\"') WHERE global_position = $1 "
            "RETURNING event_id",
            positions[1],
        )
    finally:
        await con.close()
    result = await audit(intake, tmp_path)
    assert result.returncode == 1
    assert f"chain broken at chain position 2 (event {event_id}" in result.stdout
    assert "the stored event differs from the one that was chained (1 events verified before it)" in result.stdout


async def test_an_event_deleted_by_hand_is_named(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    con = await asyncpg.connect(intake.database_url)
    try:
        event_id = await con.fetchval("DELETE FROM events WHERE global_position = $1 RETURNING event_id", positions[2])
    finally:
        await con.close()
    result = await audit(intake, tmp_path)
    assert result.returncode == 1
    assert f"chain position 3 (event {event_id}): the event is missing from the store (deleted)" in result.stdout


async def test_a_message_on_the_topic_that_the_store_never_had_is_named(intake: IntakeHarness, tmp_path):
    import uuid

    from shared.kafka import new_producer

    await registered_and_published(intake, 2)
    stranger = str(uuid.uuid4())
    producer = new_producer(intake.kafka_bootstrap)
    await producer.start()
    try:
        headers = [("ce_id", stranger.encode()), ("ce_chainhash", b"0" * 64)]
        await producer.send_and_wait(intake.topic, value=b"{}", key=b"mentee-x", headers=headers)
    finally:
        await producer.stop()
    result = await audit(intake, tmp_path, "--topic")
    assert result.returncode == 1
    assert f"(event {stranger}): the topic holds an event the store does not have" in result.stdout
