"""Idempotent consumers: the same events twice, out of order across partitions: the effect happens once."""

from __future__ import annotations

import asyncio
import uuid

import anyio.to_thread
import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.consuming.idempotent import IdempotentConsumer
from shared.consuming.subscriber import subscribe
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.kafka import new_producer
from shared.tenancy import Tenant
from tests.conftest import eventually, unique
from tests.signing import keyring, signed_kafka

pytestmark = pytest.mark.integration

EFFECT_DDL = "CREATE TABLE effects (event_id UUID PRIMARY KEY, applied INT NOT NULL)"


async def count_effect(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    # Counts applications instead of ignoring repeats, so a second application would show as 2.
    await con.execute(
        "INSERT INTO effects VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
        envelope.event_id,
    )


def envelopes(n: int) -> list[EventEnvelope]:
    meta = EventMetadata(tenant=Tenant.FR, office="fr-lyon", actor="test")
    result = []
    for _ in range(n):
        event = MenteeRegistered(mentee_id=uuid.uuid4())
        result.append(EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 1, utc_now()))
    return result


async def applied_counts(pool: asyncpg.Pool) -> list[int]:
    async with pool.acquire() as con:
        return [row["applied"] for row in await con.fetch("SELECT applied FROM effects")]


async def test_handling_twice_and_concurrently_applies_once(pool):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    consumer = IdempotentConsumer(pool, "test-consumer", {"MenteeRegistered": count_effect})
    batch = envelopes(10)
    first = await asyncio.gather(*(consumer.handle(e) for e in batch + batch))
    again = await asyncio.gather(*(consumer.handle(e) for e in reversed(batch)))
    assert sum(first) == 10 and not any(again)
    assert await applied_counts(pool) == [1] * 10


async def test_an_event_type_without_effect_is_not_recorded(pool):
    consumer = IdempotentConsumer(pool, "test-consumer", {})
    assert await consumer.handle(envelopes(1)[0]) is False
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM processed_events") == 0


async def test_a_failed_effect_leaves_no_dedupe_record(pool):
    async def failing(_con, _envelope):
        raise RuntimeError("database hiccup")

    envelope = envelopes(1)[0]
    with pytest.raises(RuntimeError):
        await IdempotentConsumer(pool, "c", {"MenteeRegistered": failing}).handle(envelope)
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    assert await IdempotentConsumer(pool, "c", {"MenteeRegistered": count_effect}).handle(envelope)


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return {p: await reader.committed(TopicPartition(topic, p)) for p in range(3)}
    finally:
        await reader.stop()


async def test_redelivered_and_reordered_kafka_messages_apply_once(pool, database_url, topic, infra, monkeypatch):
    # Counted, not replaced: each batch reaches the handler on the event loop, with no hand-off to a worker thread
    # (fast_depends would make one for FastStream's `KafkaMessage` context field: docs/adr/0041).
    handed_to_threads = []
    run_sync = anyio.to_thread.run_sync

    async def counted(*args, **kwargs):
        handed_to_threads.append(args[0])
        return await run_sync(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    batch = envelopes(30)
    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    try:
        # Every event twice, newest first, spread over three partitions by key; plus one stranger.
        await producer.send_and_wait(topic, b"not a cloud event", key=b"junk")
        for envelope in list(reversed(batch)) * 2:
            key, value, headers = signed_kafka(envelope, "intake")
            await producer.send(topic, value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()

    group = unique("group")
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500
    )
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    subscribe(
        broker,
        settings,
        IdempotentConsumer(pool, group, {"MenteeRegistered": count_effect}),
        {topic: "intake"},
        keyring=keyring(),
    )
    await broker.start()
    try:

        async def all_consumed() -> bool:
            offsets = await committed_offsets(infra.kafka_bootstrap, group, topic)
            return sum(o or 0 for o in offsets.values()) == 61

        await eventually(all_consumed, 60, "consuming every message")
    finally:
        await broker.stop()
    assert sorted(await applied_counts(pool)) == [1] * 30
    assert handed_to_threads == []


async def produce(bootstrap: str, topic: str, batch: list[EventEnvelope]) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for envelope in batch:
            key, value, headers = signed_kafka(envelope, "intake")
            await producer.send(topic, value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


async def consume_until(pool, database_url, infra, topic, consumer: IdempotentConsumer, check, what: str) -> None:
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500
    )
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    subscribe(broker, settings, consumer, {topic: "intake"}, keyring=keyring())
    await broker.start()
    try:
        await eventually(check, 60, what)
    finally:
        await broker.stop()


async def test_a_failed_effect_is_redelivered_until_it_succeeds(pool, database_url, topic, infra):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    attempts: list[uuid.UUID] = []

    async def flaky(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        attempts.append(envelope.event_id)
        if len(attempts) <= 2:
            raise ConnectionError("database went away")  # transient: the offset must not move on
        await count_effect(con, envelope)

    [envelope] = envelopes(1)
    await produce(infra.kafka_bootstrap, topic, [envelope])
    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": flaky})

    async def applied() -> bool:
        return await applied_counts(pool) == [1]

    await consume_until(pool, database_url, infra, topic, consumer, applied, "the third delivery applying the event")
    assert attempts == [envelope.event_id] * 3


async def test_an_event_that_can_never_apply_is_parked_and_the_rest_flows(pool, database_url, topic, infra):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    good = envelopes(3)
    poison = good[0].model_copy(update={"event_id": uuid.uuid4(), "data": {"mentee_id": "not-a-uuid"}})
    await produce(infra.kafka_bootstrap, topic, [poison, *good])

    async def typed_effect(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        envelope.payload()  # validates the data, as every real effect does
        await count_effect(con, envelope)

    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": typed_effect})

    async def good_applied() -> bool:
        return sorted(await applied_counts(pool)) == [1, 1, 1]

    await consume_until(pool, database_url, infra, topic, consumer, good_applied, "the good events applying")
    async with pool.acquire() as con:
        parked = await con.fetch("SELECT event_id, reason FROM parked_events")
        processed = await con.fetchval("SELECT count(*) FROM processed_events")
    assert [(r["event_id"], r["reason"]) for r in parked] == [(poison.event_id, "ValidationError")]
    assert processed == 3


async def test_parked_events_are_replayed_once_their_cause_is_fixed(pool):
    async with pool.acquire() as con:  # a constraint the effect breaks: no redelivery cures that
        await con.execute(EFFECT_DDL)
        await con.execute("ALTER TABLE effects ADD CONSTRAINT too_strict CHECK (applied > 5)")
    batch = envelopes(2)
    consumer = IdempotentConsumer(pool, "c", {"MenteeRegistered": count_effect})
    for envelope in batch:
        assert await consumer.handle(envelope) is False
    assert await consumer.replay_parked() == (0, 2)  # still broken: nothing lost, nothing resolved
    async with pool.acquire() as con:
        await con.execute("ALTER TABLE effects DROP CONSTRAINT too_strict")  # the operator fixes the cause
    assert await consumer.replay_parked() == (2, 0)
    assert await applied_counts(pool) == [1, 1]
    assert await consumer.replay_parked() == (0, 0)


async def test_an_effect_that_fails_after_writing_leaves_nothing_behind(pool):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    failures: list[uuid.UUID] = []

    async def writes_then_crashes(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        await count_effect(con, envelope)
        if not failures:
            failures.append(envelope.event_id)
            raise ConnectionError("lost the database before commit")  # its write must go with it

    consumer = IdempotentConsumer(pool, "c", {"MenteeRegistered": writes_then_crashes})
    [envelope] = envelopes(1)
    with pytest.raises(ConnectionError):
        await consumer.handle(envelope)
    assert await applied_counts(pool) == []  # effect and dedupe record share one transaction
    assert await consumer.handle(envelope) is True  # the redelivery applies it
    assert await applied_counts(pool) == [1]
