"""A log written before signing: its unsigned copies are parked, never counted; a republish from the store, which
the relay signs, gives every fact a signed copy, and the figures are whole again (docs/adr/0019)."""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.reporting.app import create_app as create_reporting
from shared.events.wire import to_kafka
from shared.eventstore.postgres import PostgresEventStore, init_connection
from shared.kafka import new_producer
from shared.outbox.relay import OutboxRelay, republish_all
from shared.topics import declared_topics, ensure_topics
from tests.conftest import eventually, unique
from tests.integration.conftest import running_service
from tests.integration.test_outbox_relay import new_events, running

pytestmark = pytest.mark.integration
FACTS = 12


async def rows(database_url: str, query: str) -> list[asyncpg.Record]:
    con = await asyncpg.connect(database_url)
    try:
        return list(await con.fetch(query))
    finally:
        await con.close()


async def test_a_republish_after_the_upgrade_signs_the_old_log_and_reporting_counts_each_fact_once(
    pool, database_url, infra
):
    prefix = unique("p") + "."
    await ensure_topics(infra.kafka_bootstrap, declared_topics(prefix))
    topic = f"{prefix}duo.intake.events"
    store = PostgresEventStore(pool)
    appended = [e for n in range(FACTS) for e in await store.append(f"mentee-{n}-{unique('m')}", 0, new_events(1))]
    # What a relay before signing did: publish each stored event unsigned, and empty the outbox.
    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    try:
        for envelope in appended:
            key, value, headers = to_kafka(envelope, "intake")
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    async with pool.acquire() as con:
        await con.execute("DELETE FROM outbox")

    async with running_service(infra, "reporting", create_reporting, prefix) as reporting:

        async def old_log_parked() -> bool:
            return len(await rows(reporting.database_url, "SELECT reason FROM parked_messages")) == FACTS

        await eventually(old_log_parked, 60, "the old log's unsigned copies parked")
        assert not await rows(reporting.database_url, "SELECT event_id FROM ledger")
        reasons = {r["reason"] for r in await rows(reporting.database_url, "SELECT reason FROM parked_messages")}
        assert reasons == {"unsigned: the event carries no key id"}

        con = await asyncpg.connect(database_url)
        try:
            await init_connection(con)
            assert await republish_all(con) == FACTS
        finally:
            await con.close()
        async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")):

            async def all_counted() -> bool:
                return len(await rows(reporting.database_url, "SELECT event_id FROM ledger")) == FACTS

            await eventually(all_counted, 60, "every fact counted from its signed copy")
        counted = {r["event_id"] for r in await rows(reporting.database_url, "SELECT event_id FROM ledger")}
        assert counted == {e.event_id for e in appended}
        parked = await rows(reporting.database_url, "SELECT headers FROM parked_messages")
        assert len(parked) == FACTS  # the old copies stay parked: nothing counted twice
        assert {dict(map(tuple, json.loads(r["headers"])))["ce_id"] for r in parked} == {
            str(e.event_id) for e in appended
        }
