"""A rebuild verifies the signature only of messages reporting never verified (docs/adr/0033): reporting's live
consumer keeps, with each fact, the keyed digest of the message it verified; a rebuild trusts a message with that
digest, verifies any other (a new one, a forged copy under a verified event's id) and refuses what does not verify,
exactly as before. The broker and PostgreSQL are the real ones; the keys are the session's."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from services.reporting.adapters.projection import LEDGER_COLUMNS, ledger_row, reporting_tables_ddl
from services.reporting.adapters.rebuild import Replayed, replay
from services.reporting.adapters.verified_once import digest_key, keyed
from services.reporting.app import create_app as create_reporting
from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.signing import verified_form_digest
from shared.events.wire import from_kafka
from shared.kafka import new_producer
from shared.tenancy import Tenant
from shared.topics import declared_topics, ensure_topics
from tests.conftest import eventually, unique
from tests.integration.conftest import running_service
from tests.signing import signed_kafka

pytestmark = pytest.mark.integration

Message = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


def registration() -> Message:
    """A mentee's registration as intake's relay publishes it, signed with the session's key."""
    mentee_id = uuid.uuid4()
    event = MenteeRegistered(
        mentee_id=mentee_id,
        job_target_sector="Q",
        languages=("nl",),
        weekly_availability_hours=4,
        available_day_parts=("mon-evening",),
        age_band="25-29",
        consents=("data_processing", "voluntary_participation"),
    )
    meta = EventMetadata(tenant=Tenant.BE, office="be-antwerpen", actor="coordinator-1")
    return signed_kafka(EventEnvelope.record(NewEvent(event, meta), f"mentee-{mentee_id}", 1, utc_now()), "intake")


def with_data(message: Message, **changes: object) -> Message:
    """The same message, its headers and signature kept, with data fields changed: a forgery."""
    key, value, headers = message
    return key, json.dumps(json.loads(value) | changes).encode(), headers


def event_id(message: Message) -> uuid.UUID:
    return uuid.UUID(dict(message[2])["ce_id"].decode())


def digest_of(message: Message) -> bytes:
    """What reporting keeps for this message once it verified it."""
    _, value, headers = message
    return keyed(digest_key(), verified_form_digest({k: v.decode() for k, v in headers}, value))


async def send(bootstrap: str, topic: str, messages: list[Message]) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value, key, headers=headers)
    finally:
        await producer.stop()


async def kept_unverified(con: asyncpg.Connection, messages: list[Message]) -> None:
    """Their facts in the live ledger with no digest (kept before migration 19, or applied as a held successor), so
    that a replay reads the log until it has them (it stops early only once every live fact is in)."""
    for _, value, headers in messages:
        *row, data = ledger_row(from_kafka(value, headers))
        await con.execute(
            f"INSERT INTO ledger ({', '.join(LEDGER_COLUMNS)}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)",
            *row,
            json.dumps(data),
        )


async def replayed(con: asyncpg.Connection, settings: ServiceSettings, table: str, trust_kept: bool = True) -> Replayed:
    """A rebuild's replay into a fresh table `table`, against the live ledger."""
    await con.execute(f"CREATE TABLE {table} (LIKE ledger INCLUDING ALL)")
    return await replay(con, settings, table, say=lambda _: None, idle_s=1.0, trust_kept=trust_kept)


async def test_a_rebuild_trusts_what_was_verified_and_verifies_the_rest_refusing_a_forged_copy_of_a_verified_event(
    infra, database_url
):
    prefix = unique("t") + "."
    await ensure_topics(infra.kafka_bootstrap, declared_topics(prefix))
    settings = ServiceSettings("reporting", database_url, infra.kafka_bootstrap, topic_prefix=prefix)
    topic = f"{prefix}duo.intake.events"
    verified = [registration() for _ in range(3)]
    await send(infra.kafka_bootstrap, topic, verified)
    con = await asyncpg.connect(database_url)
    try:
        await con.execute(reporting_tables_ddl())
        await kept_unverified(con, verified)
        # A first rebuild finds no digest in the live ledger: it verifies every message and keeps their digests.
        first = await replayed(con, settings, "first")
        assert (first.events, first.checked_in_full) == (3, 3)
        await con.execute("DROP TABLE ledger; ALTER TABLE first RENAME TO ledger")
        kept = dict(await con.fetch("SELECT event_id, verified_digest FROM ledger"))
        assert kept == {event_id(m): digest_of(m) for m in verified}

        # After them on the log: a copy of a verified event with its data changed (its id and signature kept), an
        # event the ledger never verified, and another one changed after signing.
        forged_copy = with_data(verified[0], job_target_sector="C")
        new = registration()
        new_forged = with_data(registration(), age_band="60-64")
        await send(infra.kafka_bootstrap, topic, [forged_copy, new, new_forged])
        await kept_unverified(con, [new])
        second = await replayed(con, settings, "second")
        # Only the three messages whose bytes reporting never verified were verified; two of them were refused.
        assert second.checked_in_full == 3
        assert second.events == 4  # the forged copy was not kept, not even as a redelivery the table dropped
        rows = {r["event_id"]: r for r in await con.fetch("SELECT event_id, data, verified_digest FROM second")}
        assert rows.keys() == {*map(event_id, verified), event_id(new)}
        assert json.loads(rows[event_id(verified[0])]["data"])["job_target_sector"] == "Q"  # the genuine one
        expected = {event_id(m): digest_of(m) for m in [*verified, new]}
        assert {i: r["verified_digest"] for i, r in rows.items()} == expected
    finally:
        await con.close()


async def test_the_live_consumer_keeps_the_digest_of_what_it_verified_and_a_rebuild_then_verifies_nothing(infra):
    prefix = unique("t") + "."
    await ensure_topics(infra.kafka_bootstrap, declared_topics(prefix))
    messages = [registration() for _ in range(4)]
    async with running_service(infra, "reporting", create_reporting, prefix) as reporting:
        await send(infra.kafka_bootstrap, f"{prefix}duo.intake.events", messages)
        con = await asyncpg.connect(reporting.database_url)
        try:

            async def all_kept() -> bool:
                return await con.fetchval("SELECT count(*) FROM ledger") == len(messages)

            await eventually(all_kept, 60, "reporting kept every registration")
            kept = dict(await con.fetch("SELECT event_id, verified_digest FROM ledger"))
            assert kept == {event_id(m): digest_of(m) for m in messages}
            settings = ServiceSettings("reporting", reporting.database_url, infra.kafka_bootstrap, topic_prefix=prefix)
            rebuilt = await replayed(con, settings, "rebuilt")
            assert (rebuilt.events, rebuilt.checked_in_full) == (len(messages), 0)
            # `duo projection rebuild reporting --verify-all`: none trusted.
            distrusting = await replayed(con, settings, "distrusting", trust_kept=False)
            assert (distrusting.events, distrusting.checked_in_full) == (len(messages), len(messages))
        finally:
            await con.close()
