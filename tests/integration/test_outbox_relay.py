"""The outbox relay against a real PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid

import asyncpg
import pytest

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import DomainEvent, EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM
from shared.eventstore.postgres import OUTBOX_CHANNEL, PostgresEventStore, init_connection
from shared.eventstore.wakeup import OutboxWakeup
from shared.outbox.relay import OutboxRelay, republish_all
from shared.tenancy import Tenant
from tests.conftest import eventually
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration


def new_events(n: int) -> list[NewEvent]:
    meta = EventMetadata(tenant=Tenant.BE, office="be-brussel", actor="test")
    return [NewEvent(MenteeRegistered(mentee_id=uuid.uuid4()), meta) for _ in range(n)]


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay):
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.listening.wait(), 30)
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def versions_by_stream(records) -> dict[str, list[int]]:
    """Stream versions in the order Kafka delivered them, first occurrence of each event only."""
    seen: set[bytes] = set()
    order: dict[str, list[int]] = {}
    for record in records:
        headers = dict(record.headers)
        if headers["ce_id"] in seen:
            continue
        seen.add(headers["ce_id"])
        order.setdefault(record.key.decode(), []).append(int(headers["ce_streamversion"]))
    return order


async def test_appended_events_reach_kafka_in_stream_order(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
    streams = [f"mentee-{uuid.uuid4()}" for _ in range(5)]
    async with running(relay):
        for version in range(20):
            for sid in streams:
                await store.append(sid, version, new_events(1))
        records = await read_topic(infra.kafka_bootstrap, topic, 100)
    order = versions_by_stream(records)
    assert set(order) == set(streams)
    assert all(versions == list(range(1, 21)) for versions in order.values())
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM outbox") == 0


async def test_a_notification_wakes_the_relay_without_polling(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    # With an hour between safety polls, only LISTEN/NOTIFY can deliver this within the deadline.
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", safety_poll_s=3600)
    async with running(relay):
        [recorded] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        records = await read_topic(infra.kafka_bootstrap, topic, 1, deadline_s=20)
    assert dict(records[0].headers)["ce_id"] == str(recorded.event_id).encode()


async def test_an_event_committed_after_a_higher_numbered_one_is_not_skipped(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", safety_poll_s=3600)
    async with running(relay):
        slow = await pool.acquire()
        slow_tx = slow.transaction()
        await slow_tx.start()
        # Takes the lower global position, but commits last.
        [early] = await store.append_in(slow, f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        [late] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        assert early.global_position is not None and late.global_position is not None  # stored, so numbered
        assert early.global_position < late.global_position
        first = await read_topic(infra.kafka_bootstrap, topic, 1)
        assert [dict(r.headers)["ce_id"] for r in first] == [str(late.event_id).encode()]
        await slow_tx.commit()
        await pool.release(slow)
        both = await read_topic(infra.kafka_bootstrap, topic, 2)
    assert {dict(r.headers)["ce_id"] for r in both} == {str(early.event_id).encode(), str(late.event_id).encode()}


async def test_concurrent_writers_with_interleaved_delayed_commits_lose_nothing(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", batch_size=7)
    rng = random.Random(7)
    shared_stream = f"mentee-{uuid.uuid4()}"

    async def writer(index: int) -> list[uuid.UUID]:
        ids = []
        for _ in range(3):
            async with pool.acquire() as con, con.transaction():
                recorded = await store.append_in(con, f"mentee-w{index}-{uuid.uuid4()}", NO_STREAM, new_events(2))
                # A delay inside the transaction: positions are taken now, commits land in another order.
                await con.execute("SELECT pg_sleep($1)", rng.uniform(0, 0.15))
            ids += [e.event_id for e in recorded]
        return ids

    async def shared_writer() -> list[uuid.UUID]:
        ids = []
        for version in range(10):
            async with pool.acquire() as con, con.transaction():
                [recorded] = await store.append_in(con, shared_stream, version, new_events(1))
                await con.execute("SELECT pg_sleep($1)", rng.uniform(0, 0.05))
            ids.append(recorded.event_id)
        return ids

    async with running(relay):
        written = await asyncio.gather(*(writer(i) for i in range(15)), shared_writer())
        expected = {str(event_id).encode() for ids in written for event_id in ids}
        records = await read_topic(infra.kafka_bootstrap, topic, len(expected), deadline_s=60)
    assert {dict(r.headers)["ce_id"] for r in records} == expected
    assert versions_by_stream(records)[shared_stream] == list(range(1, 11))


async def test_a_restarted_relay_resumes_where_it_stopped(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")):
        for _ in range(5):
            await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        await read_topic(infra.kafka_bootstrap, topic, 5)
    for _ in range(4):  # appended while no relay runs
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
    async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")):
        records = await read_topic(infra.kafka_bootstrap, topic, 9)
    assert len(records) == 9  # nothing lost, and nothing the first relay had published was sent again


async def test_republish_sends_the_whole_store_again(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    for _ in range(3):
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(2))
    async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")):
        await read_topic(infra.kafka_bootstrap, topic, 6)
        con = await asyncpg.connect(database_url)
        await init_connection(con)
        try:
            assert await republish_all(con) == 6
        finally:
            await con.close()
        records = await read_topic(infra.kafka_bootstrap, topic, 12)
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(ids) == 12 and len(set(ids)) == 6


async def test_only_one_relay_publishes_a_store_at_a_time(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    leader = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
    standby = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
    async with running(leader):
        standby_task = asyncio.create_task(standby.run())
        try:
            for _ in range(10):
                await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
            records = await read_topic(infra.kafka_bootstrap, topic, 10)
            assert not standby.listening.is_set()
        finally:
            standby_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await standby_task
    assert len(records) == 10 and leader.published == 10 and standby.published == 0


async def test_the_republish_command_queues_the_whole_store(pool, database_url, infra, tmp_path):
    from tests.cli import duo

    store = PostgresEventStore(pool)
    for _ in range(3):
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
    async with pool.acquire() as con:
        await con.execute("DELETE FROM outbox")  # as if a relay had published everything
    result = await asyncio.to_thread(
        duo,
        tmp_path,
        "outbox",
        "republish",
        "intake",
        INTAKE_DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap,
    )
    assert result.returncode == 0, result.stderr
    assert "intake: 3 events queued" in result.stdout
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM outbox") == 3


class OversizedFact(DomainEvent):
    """An event larger than the broker accepts (the producer's 1 MB request limit)."""

    blob: str


async def test_an_event_the_broker_refuses_stalls_the_relay_without_resending_or_skipping(
    pool, database_url, topic, infra
):
    store = PostgresEventStore(pool)
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="test")
    [first] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
    [huge] = await store.append("oversized-1", NO_STREAM, [NewEvent(OversizedFact(blob="x" * 2_000_000), meta)])
    [last] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", batch_size=10)
    task = asyncio.create_task(relay.run())
    try:

        async def stalled_at_the_huge_one() -> bool:
            async with pool.acquire() as con:
                pending = [r["global_position"] for r in await con.fetch("SELECT global_position FROM outbox")]
            return sorted(pending) == [huge.global_position, last.global_position]

        await eventually(stalled_at_the_huge_one, 30, "the relay publishing up to the refused event")
        assert relay.published == 1
        # An operator takes the refused event out of the outbox (it stays in the store).
        async with pool.acquire() as con:
            await con.execute("DELETE FROM outbox WHERE global_position = $1", huge.global_position)
        records = await read_topic(infra.kafka_bootstrap, topic, 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert ids == [str(first.event_id).encode(), str(last.event_id).encode()]  # in order, the first sent once


async def test_pending_events_go_out_in_position_order_whatever_the_outbox_row_order(pool, database_url, topic, infra):
    store = PostgresEventStore(pool)
    sid = f"mentee-{uuid.uuid4()}"
    for version in range(12):
        await store.append(sid, version, new_events(1))
    async with pool.acquire() as con, con.transaction():
        # Outbox rows stored newest first (as a republish or a manual repair may leave them).
        await con.execute("CREATE TEMP TABLE pending AS SELECT global_position FROM outbox")
        await con.execute("DELETE FROM outbox")
        await con.execute("INSERT INTO outbox SELECT global_position FROM pending ORDER BY global_position DESC")
    async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", batch_size=5)):
        records = await read_topic(infra.kafka_bootstrap, topic, 12)
    assert versions_by_stream(records)[sid] == list(range(1, 13))


async def test_an_upgraded_store_records_the_log_it_was_published_to_without_sending_it_again(
    pool, database_url, topic, infra
):
    """A store from before ADR 0023 has no broker log recorded: the log that already holds its events is recorded,
    not filled a second time (a whole store republished to a real cluster at an upgrade)."""
    store = PostgresEventStore(pool)
    async with running(OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")):
        for _ in range(5):
            await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        await read_topic(infra.kafka_bootstrap, topic, 5)
    await pool.execute("DELETE FROM outbox_broker WHERE topic = $1", topic)  # as a store before the upgrade
    for _ in range(2):
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
    async with running(relay):

        async def drained() -> bool:
            return await pool.fetchval("SELECT count(*) FROM outbox") == 0

        await eventually(drained, 30, "the relay published what was new")
        assert await pool.fetchval("SELECT count(*) FROM outbox_broker WHERE topic = $1", topic) == 1  # recorded
    assert relay.published == 2  # the two new events only, not the store again
    records = await read_topic(infra.kafka_bootstrap, topic, 7)
    assert len({dict(r.headers)["ce_id"] for r in records}) == 7


async def test_a_leading_relay_hears_of_its_own_process_commits_without_a_notify(pool, database_url, topic, infra):
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", safety_poll_s=3600)
    wakeup = OutboxWakeup(database_url, OUTBOX_CHANNEL, in_process=relay.wake_if_leading)
    store = PostgresEventStore(pool, wakeup=wakeup)
    notified: list[int] = []
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(OUTBOX_CHANNEL, lambda _con, pid, _channel, _payload: notified.append(pid))
    try:
        async with running(relay):
            # With an hour between safety polls, only the wake-up can deliver this within the deadline.
            [recorded] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
            records = await read_topic(infra.kafka_bootstrap, topic, 1, deadline_s=20)
            assert dict(records[0].headers)["ce_id"] == str(recorded.event_id).encode()
            await listener.execute("SELECT 1")  # delivers any notification in flight
            assert notified == []  # woken in process: no NOTIFY
        # A relay that does not lead (here: stopped; in production, another replica leads) is told by a NOTIFY.
        assert not relay.wake_if_leading()
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        await eventually(lambda: _heard(notified), what="a NOTIFY while the process's relay does not lead")
    finally:
        await listener.close()
        await wakeup.close()


async def _heard(notified: list[int]) -> bool:
    return bool(notified)


async def test_a_wake_up_with_less_than_a_batch_pending_reads_the_outbox_once(pool, database_url, topic, infra):
    """A batch short of the batch size ends the pass: the outbox is read once, not again to find it empty; a second
    batch's worth waiting is read until it is all out (issue 24)."""
    store = PostgresEventStore(pool)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake", batch_size=3)
    async with relay.connected() as con:
        reads: list[str] = []
        con.add_query_logger(
            lambda record: reads.append(record.query) if "FROM outbox ORDER BY" in record.query else None
        )
        assert await relay.publish_pending(con) == 0  # the first pass records the broker's log
        await con.execute("SELECT 1")
        reads.clear()
        for _ in range(2):
            await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        assert await relay.publish_pending(con) == 2
        await con.execute("SELECT 1")  # the logger's calls are scheduled (call_soon): all run during a round trip
        assert len(reads) == 1
        for _ in range(4):
            await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        assert await relay.publish_pending(con) == 4  # a full batch of 3, then the 1 left
        await con.execute("SELECT 1")
        assert len(reads) == 3
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert len({dict(r.headers)["ce_id"] for r in await read_topic(infra.kafka_bootstrap, topic, 6)}) == 6


async def test_a_batch_costs_the_relay_three_statements(pool, database_url, topic, infra):
    """What a relay sends PostgreSQL for a batch (issue 24): the read of the pending events with what sealing them
    needs of the chain, the chain's links, and once the broker acknowledged, the outbox rows' delete. Nothing else:
    no transaction, lock or separate read of the chain (the relay holding the leader lock is the one sealer)."""
    store = PostgresEventStore(pool)
    relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
    statements: list[str] = []
    async with relay.connected() as con:
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
        assert await relay.publish_pending(con) == 1  # the first batch: the broker's log recorded, types looked up
        await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(3))
        con.add_query_logger(lambda record: statements.append(" ".join(record.query.split())[:40]))
        assert await relay.publish_pending(con) == 3
        await con.execute("SELECT 1")  # the logger's calls are scheduled (call_soon): all run during a round trip
    assert statements[:3] == [
        "SELECT e.global_position, e.stream_id, e",
        "INSERT INTO event_chain (chain_seq, glob",
        "DELETE FROM outbox WHERE global_position",
    ], statements
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM event_chain") == 4
    assert len(await read_topic(infra.kafka_bootstrap, topic, 4)) == 4
