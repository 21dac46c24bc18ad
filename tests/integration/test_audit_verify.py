"""`duo audit verify`: the store's keyed hash chain vouches for every published event, the topic anchors it, and
the check names the event edited, deleted (with or without its chain row), cut from the end, or forged."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.events.keyfiles import keys_folder
from shared.eventstore.chain import GENESIS, link
from shared.eventstore.postgres import init_connection, row_to_envelope
from tests.cli import duo
from tests.conftest import eventually
from tests.integration.intake_harness import IntakeHarness, mentee_body

pytestmark = pytest.mark.integration


async def audit(intake: IntakeHarness, tmp_path, *args: str):
    env = {
        "INTAKE_DATABASE_URL": intake.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": intake.kafka_bootstrap,
        "DUO_TOPIC_PREFIX": intake.topic.removesuffix("duo.intake.events"),
        "DUO_EVENT_KEYS_DIR": str(keys_folder()),  # the keys the intake under test signs with
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
    result = await audit(intake, tmp_path)
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
    assert "the stored event or its chain hash differs from the one that was sealed (1 events verified" in result.stdout


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


def stranger():
    """A registration intake's store never had."""
    import uuid

    from shared.clock import utc_now
    from shared.events.catalog import MenteeRegistered
    from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
    from shared.tenancy import Tenant

    event = MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q")
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="coordinator-1")
    return EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 1, utc_now())


async def written(intake: IntakeHarness, message: tuple[bytes, bytes, list[tuple[str, bytes]]]) -> None:
    from shared.kafka import new_producer

    key, value, headers = message
    producer = new_producer(intake.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(intake.topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_a_message_on_the_topic_that_its_service_did_not_sign_is_named(intake: IntakeHarness, tmp_path):
    from shared.events.wire import to_kafka

    await registered_and_published(intake, 2)
    forged = stranger()
    await written(intake, to_kafka(forged, "intake"))  # intake's source, without intake's signature
    result = await audit(intake, tmp_path)
    assert result.returncode == 1
    assert f"(event {forged.event_id}): not vouched for by intake's signature: unsigned" in result.stdout


async def test_a_message_on_the_topic_that_the_store_never_had_is_named(intake: IntakeHarness, tmp_path):
    from tests.signing import signed_kafka

    await registered_and_published(intake, 2)
    forged = stranger()
    await written(intake, signed_kafka(forged, "intake"))  # signed with intake's own key: a stolen one
    result = await audit(intake, tmp_path)
    assert result.returncode == 1
    assert f"(event {forged.event_id}): the topic holds an event the store does not have, not sealed" in result.stdout


async def execute(intake: IntakeHarness, statement: str, *args) -> object:
    con = await asyncpg.connect(intake.database_url)
    try:
        return await con.fetchval(statement, *args)
    finally:
        await con.close()


async def test_an_event_edited_and_its_chain_recomputed_without_the_key_is_named(intake: IntakeHarness, tmp_path):
    """The probe's attack: edit an event, then recompute the chain from it on, as an unkeyed chain allowed."""
    positions = await registered_and_published(intake, 3)
    await execute(
        intake,
        "UPDATE events SET data = jsonb_set(data, '{job_target_sector}', '\"F\"') WHERE global_position = $1",
        positions[1],
    )
    con = await asyncpg.connect(intake.database_url)
    try:
        await init_connection(con)
        rows = await con.fetch(
            "SELECT c.chain_seq, e.* FROM event_chain c JOIN events e USING (global_position) ORDER BY c.chain_seq"
        )
        previous = GENESIS
        for row in rows:  # the attacker's key: anything but the service's
            previous = link(b"a guess at the key", previous, row_to_envelope(row))
            await con.execute("UPDATE event_chain SET chain_hash = $1 WHERE chain_seq = $2", previous, row["chain_seq"])
    finally:
        await con.close()
    result = await audit(intake, tmp_path, "--store-only")
    assert result.returncode == 1
    assert "chain broken at chain position 1" in result.stdout  # the recomputed chain fails from its first link
    result = await audit(intake, tmp_path)
    assert result.returncode == 1 and "its chain hash differs from the store's" in result.stdout


async def test_the_last_event_cut_with_its_chain_row_is_named_from_the_topic(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    event_id = await execute(intake, "SELECT event_id FROM events WHERE global_position = $1", positions[-1])
    await execute(intake, "DELETE FROM event_chain WHERE global_position = $1", positions[-1])
    await execute(intake, "DELETE FROM events WHERE global_position = $1", positions[-1])
    result = await audit(intake, tmp_path)
    assert result.returncode == 1, result.stdout
    assert "intake: verified 2 events" in result.stdout  # the store alone cannot tell a cut tail
    assert f"(event {event_id}): the store lacks this event, which the service sealed and published" in result.stdout


async def test_an_event_deleted_with_its_chain_row_is_named_not_the_next(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    ids = [await execute(intake, "SELECT event_id FROM events WHERE global_position = $1", p) for p in positions]
    await execute(intake, "DELETE FROM event_chain WHERE global_position = $1", positions[1])
    await execute(intake, "DELETE FROM events WHERE global_position = $1", positions[1])
    result = await audit(intake, tmp_path)
    assert result.returncode == 1
    assert f"chain position 2 (after event {ids[0]}, before event {ids[2]}): an event was deleted" in result.stdout
    assert f"(event {ids[1]}): the store lacks this event, which the service sealed and published" in result.stdout
