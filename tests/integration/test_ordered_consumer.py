"""Ordered consumers: each stream's events applied in version order, exactly once, however they arrive."""

from __future__ import annotations

import asyncio
import random
import uuid

import asyncpg
import pytest
import structlog

from shared.clock import utc_now
from shared.consuming.batch_streams import SAVE_POSITIONS, lock_streams
from shared.consuming.consumer import Consumer
from shared.consuming.idempotent import IdempotentConsumer
from shared.consuming.ordered import OrderedConsumer, ordered_consumer_ddl
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration

# The order effects ran in: a sequence numbers each application, so a repeat or a swap shows.
EFFECT_DDL = """
CREATE TABLE applied (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    event_type     TEXT    NOT NULL
)
"""
REGISTERED, CHANGED, NOTED = "MenteeRegistered", "MenteeProfileChanged", "MenteeNoteAdded"


async def record(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await con.execute(
        "INSERT INTO applied (stream_id, stream_version, event_type) VALUES ($1, $2, $3)",
        envelope.stream_id,
        envelope.stream_version,
        envelope.event_type,
    )


EFFECTS = {REGISTERED: record, CHANGED: record}


def stream(n: int, types: list[str] | None = None) -> list[EventEnvelope]:
    """Versions 1..n of one new stream: a registration, then profile changes (or the given types)."""
    stream_id = f"mentee-{uuid.uuid4()}"
    types = types or [REGISTERED] + [CHANGED] * (n - 1)
    now = utc_now()
    return [
        EventEnvelope(
            event_id=uuid.uuid4(),
            event_type=types[v - 1],
            schema_version=1,
            stream_id=stream_id,
            stream_version=v,
            tenant=Tenant.FR,
            office="fr-lyon",
            occurred_at=now,
            recorded_at=now,
            actor="test",
            correlation_id=uuid.uuid4(),
            data={},
        )
        for v in range(1, n + 1)
    ]


async def applied(pool: asyncpg.Pool, stream_id: str | None = None) -> list[tuple[str, int]]:
    async with pool.acquire() as con:
        rows = await con.fetch(
            "SELECT stream_id, stream_version FROM applied WHERE $1::text IS NULL OR stream_id = $1 ORDER BY seq",
            stream_id,
        )
    return [(r["stream_id"], r["stream_version"]) for r in rows]


async def versions(pool: asyncpg.Pool, stream_id: str) -> list[int]:
    return [v for _, v in await applied(pool, stream_id)]


@pytest.fixture
async def tables(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as con:
        await con.execute(ordered_consumer_ddl())
        await con.execute(ordered_consumer_ddl())  # idempotent, as at every start
        await con.execute(EFFECT_DDL)
    return pool


async def test_a_later_version_waits_for_its_predecessor(tables):
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    v1, v2, v3 = stream(3)
    assert await consumer.handle(v1) is True
    with structlog.testing.capture_logs() as logs:
        assert await consumer.handle(v3) is False  # held: v2 has not arrived
    held = [e for e in logs if e["log_level"] == "warning"]
    assert held == [
        {
            "event": "event held until its stream's earlier versions arrive",
            "log_level": "warning",
            "consumer": "c",
            "stream_id": v1.stream_id,
            "stream_version": 3,
            "applied_version": 1,
        }
    ]  # where and how far behind, never the event's data
    assert await versions(tables, v1.stream_id) == [1]
    assert await consumer.held_count() == 1
    assert await consumer.handle(v2) is True  # applies v2, then the held v3
    assert await versions(tables, v1.stream_id) == [1, 2, 3]
    assert await consumer.held_count() == 0


async def test_duplicates_of_any_version_change_nothing(tables):
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    events = stream(3)
    v1, v2, v3 = events
    await consumer.handle(v1)
    await consumer.handle(v3)
    assert await consumer.handle(v3) is False  # a held version delivered again is held once
    assert await consumer.held_count() == 1
    await consumer.handle(v2)
    for envelope in events * 2:
        assert await consumer.handle(envelope) is False
    assert await versions(tables, v1.stream_id) == [1, 2, 3]
    assert await consumer.held_count() == 0


async def test_many_streams_interleaved_shuffled_and_redelivered_apply_once_in_order(tables):
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    streams = [stream(5) for _ in range(50)]
    deliveries = [e for events in streams for e in events] * 2
    random.Random(20261126).shuffle(deliveries)
    for envelope in deliveries:
        await consumer.handle(envelope)
    everything = await applied(tables)
    assert len(everything) == 250
    for events in streams:
        assert await versions(tables, events[0].stream_id) == [1, 2, 3, 4, 5]
    assert await consumer.held_count() == 0


async def test_concurrent_deliveries_of_one_stream_apply_in_order_once(tables):
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    events = stream(10)
    # Every version at once, twice, newest first: the deliveries wait on the stream's row for each other.
    await asyncio.gather(*(consumer.handle(e) for e in list(reversed(events)) * 2))
    assert await versions(tables, events[0].stream_id) == list(range(1, 11))

    streams = [stream(5) for _ in range(6)]
    deliveries = [e for events in streams for e in events] * 2
    random.Random(7).shuffle(deliveries)
    await asyncio.gather(*(consumer.handle(e) for e in deliveries))
    for events in streams:
        assert await versions(tables, events[0].stream_id) == [1, 2, 3, 4, 5]
    assert await consumer.held_count() == 0


async def test_a_parked_event_holds_its_successors_until_replayed(tables):
    async with tables.acquire() as con:  # a constraint the effect breaks for version 2: no redelivery cures that
        await con.execute("ALTER TABLE applied ADD CONSTRAINT too_strict CHECK (stream_version <> 2)")
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    v1, v2, v3, v4 = events = stream(4)
    assert await consumer.handle(v1) is True
    assert await consumer.handle(v2) is False  # parked
    assert await consumer.handle(v3) is False  # held, never applied before v2
    assert await consumer.handle(v4) is False
    async with tables.acquire() as con:
        parked = await con.fetch("SELECT event_id, reason FROM parked_events")
    assert [(r["event_id"], r["reason"]) for r in parked] == [(v2.event_id, "CheckViolationError")]
    assert await versions(tables, v1.stream_id) == [1]
    assert await consumer.held_count() == 2

    assert await consumer.replay_parked() == (0, 1)  # still broken: nothing lost, nothing resolved
    assert await versions(tables, v1.stream_id) == [1]
    async with tables.acquire() as con:
        await con.execute("ALTER TABLE applied DROP CONSTRAINT too_strict")  # the operator fixes the cause
    assert await consumer.replay_parked() == (1, 0)
    assert await versions(tables, v1.stream_id) == [1, 2, 3, 4]
    assert await consumer.held_count() == 0
    assert await consumer.replay_parked() == (0, 0)
    for envelope in events:  # a republish afterwards changes nothing
        assert await consumer.handle(envelope) is False
    assert await versions(tables, v1.stream_id) == [1, 2, 3, 4]


async def test_a_held_successor_that_cannot_apply_is_parked_and_replayed_in_turn(tables):
    async with tables.acquire() as con:
        await con.execute("ALTER TABLE applied ADD CONSTRAINT too_strict CHECK (stream_version <> 3)")
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    v1, v2, v3, v4 = stream(4)
    for envelope in (v1, v4, v3):
        await consumer.handle(envelope)
    assert await consumer.handle(v2) is True  # applies v2; the held v3 is parked, v4 stays held
    assert await versions(tables, v1.stream_id) == [1, 2]
    assert await consumer.held_count() == 1
    async with tables.acquire() as con:
        assert await con.fetchval("SELECT event_id FROM parked_events") == v3.event_id
        await con.execute("ALTER TABLE applied DROP CONSTRAINT too_strict")
    assert await consumer.replay_parked() == (1, 0)
    assert await versions(tables, v1.stream_id) == [1, 2, 3, 4]
    assert await consumer.held_count() == 0


async def test_an_event_without_effect_still_advances_its_stream(tables):
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    v1, v2, v3 = stream(3, [REGISTERED, NOTED, CHANGED])
    assert await consumer.handle(v1) is True
    assert await consumer.handle(v3) is False  # held behind v2, though v2 is of no interest
    assert await consumer.handle(v2) is False  # no effect, but it releases v3
    assert await versions(tables, v1.stream_id) == [1, 3]
    assert await consumer.held_count() == 0


async def test_a_transient_error_rolls_back_and_the_redelivery_applies(tables):
    failures: list[int] = []

    async def flaky(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        await record(con, envelope)
        if envelope.stream_version == 3 and not failures:
            failures.append(3)
            raise ConnectionError("lost the database before commit")

    consumer = OrderedConsumer(tables, "c", {REGISTERED: flaky, CHANGED: flaky})
    v1, v2, v3 = stream(3)
    await consumer.handle(v1)
    await consumer.handle(v3)
    with pytest.raises(ConnectionError):
        await consumer.handle(v2)  # v2 and the released v3 share a transaction: both roll back
    assert await versions(tables, v1.stream_id) == [1]
    assert await consumer.held_count() == 1
    assert await consumer.handle(v2) is True  # the redelivery
    assert await versions(tables, v1.stream_id) == [1, 2, 3]


async def test_consumers_keep_their_own_positions(tables):
    first, second = OrderedConsumer(tables, "a", EFFECTS), OrderedConsumer(tables, "b", {})
    v1, v2 = stream(2)
    assert await second.handle(v2) is False
    assert await first.handle(v1) is True
    assert await second.held_count() == 1 and await first.held_count() == 0


def test_both_consumers_satisfy_the_consumer_protocol():
    pool: asyncpg.Pool = None  # never used: constructing a consumer touches no database
    for consumer in (OrderedConsumer(pool, "c", EFFECTS), IdempotentConsumer(pool, "c", EFFECTS)):
        assert isinstance(consumer, Consumer)
        assert consumer.event_types == {REGISTERED, CHANGED}

    class Incomplete:
        name = "c"
        event_types = frozenset[str]()

        async def handle(self, envelope: EventEnvelope) -> bool:
            return False

    assert not isinstance(Incomplete(), Consumer)  # no park, no replay_parked


async def test_the_per_batch_step_runs_once_per_batch_over_the_events_applied_and_with_each_alone(tables):
    async with tables.acquire() as con:
        await con.execute("CREATE TABLE batched (call INT, stream_version INT CHECK (stream_version <> 9))")
    calls: list[list[int]] = []

    async def per_batch(con: asyncpg.Connection, envelopes) -> None:
        calls.append([e.stream_version for e in envelopes])
        await con.executemany(
            "INSERT INTO batched VALUES ($1, $2)", [(len(calls), e.stream_version) for e in envelopes]
        )

    consumer = OrderedConsumer(tables, "c", EFFECTS, per_batch=per_batch)
    v1, v2, v3, v4 = stream(4, [REGISTERED, CHANGED, NOTED, CHANGED])
    # v4 held behind v3, v3 (no effect) behind v2; v2 releases both inside the batch; the copy of v1 is ignored.
    assert await consumer.handle_batch([v1, v4, v3, v2, v1]) == [True, False, False, True, False]
    assert calls == [[1, 2, 4]]  # once, over the events whose effect ran, the released one included
    w1, w2 = stream(2)
    assert await consumer.handle(w1) is True
    assert calls[-1] == [1]  # alone: with its event

    # A step that can never succeed for one event: the batch rolls back whole; alone, that event is parked.
    x = stream(10)
    await consumer.handle_batch(x[:8])
    with pytest.raises(asyncpg.CheckViolationError):
        await consumer.handle_batch([x[8], x[9], w2])
    assert await versions(tables, x[0].stream_id) == list(range(1, 9))
    assert await versions(tables, w1.stream_id) == [1]
    for envelope in (x[8], x[9], w2):  # as the subscriber retries a failed batch
        await consumer.handle(envelope)
    async with tables.acquire() as con:
        assert await con.fetchval("SELECT event_id FROM parked_events") == x[8].event_id
    assert await versions(tables, w1.stream_id) == [1, 2]
    assert calls[-1] == [2]
    assert await consumer.held_count() == 1  # x's version 10 waits behind the parked 9


async def test_batches_shuffled_redelivered_and_concurrent_apply_each_event_once_in_order(tables):
    # A batch locks all its streams at once and writes their positions once (shared/consuming/batch_streams.py):
    # streams new to it and known, events held before it (by a delivery alone) and inside it, batches at once.
    consumer = OrderedConsumer(tables, "c", EFFECTS)
    early = stream(4)
    assert await consumer.handle(early[0]) is True
    assert await consumer.handle(early[2]) is False  # held by a delivery alone, before any batch
    streams = [stream(5) for _ in range(12)]
    deliveries = [e for events in streams for e in events] * 2 + [early[1], early[3]]
    random.Random(20261206).shuffle(deliveries)
    batches = [deliveries[i : i + 9] for i in range(0, len(deliveries), 9)]
    # Concurrent batches sharing streams: each waits on the rows the other locked, neither deadlocks.
    await asyncio.gather(*(consumer.handle_batch(b) for b in batches[: len(batches) // 2]))
    for batch in batches[len(batches) // 2 :]:
        await consumer.handle_batch(batch)
    await consumer.handle_batch([e for events in streams for e in events])  # all redelivered: nothing moves
    for events in streams:
        assert await versions(tables, events[0].stream_id) == [1, 2, 3, 4, 5]
    assert await versions(tables, early[0].stream_id) == [1, 2, 3, 4]
    assert len(await applied(tables)) == 64
    assert await consumer.held_count() == 0
    async with tables.acquire() as con:
        positions = await con.fetch("SELECT stream_id, version FROM stream_positions WHERE consumer = 'c'")
    assert sorted(row["version"] for row in positions) == [4] + [5] * 12


def duo_stream(types: list[str]) -> list[EventEnvelope]:
    """A duo's stream as tracking writes it (types of tracking's, in this order)."""
    stream_id = f"duo-{uuid.uuid4()}"
    return [e.model_copy(update={"stream_id": stream_id}) for e in stream(len(types), types)]


async def positions(pool: asyncpg.Pool, consumer: str) -> dict[str, int]:
    async with pool.acquire() as con:
        rows = await con.fetch("SELECT stream_id, version FROM stream_positions WHERE consumer = $1", consumer)
    return {r["stream_id"]: r["version"] for r in rows}


async def test_a_producer_taken_alone_has_its_events_without_an_effect_passed_over_and_the_others_applied_once(
    tables,
):
    # Matching's shape (docs/adr/0036): intake's events in stream order, tracking's DuoEnded alone.
    effects = {REGISTERED: record, CHANGED: record, "DuoEnded": record}
    consumer = OrderedConsumer(tables, "c", effects, alone_from=frozenset({"tracking"}))
    assert consumer.passes_over("tracking", "MeetingLogged")
    assert not consumer.passes_over("tracking", "DuoEnded")
    assert not consumer.passes_over("intake", "InformationSessionAttended")  # intake's are followed in order
    assert not consumer.passes_over(None, None)
    duo = duo_stream(["MeetingLogged", "ActionPlanDrawnUp", "DuoEnded", "FollowUpRecorded"])
    met, planned, ended, followed_up = duo
    # Handed over anyway (a parked message replayed, say), a passed-over event changes nothing, not even a position.
    assert await consumer.handle(met) is False
    assert await consumer.handle_batch([planned, followed_up]) == [False, False]
    assert await positions(tables, "c") == {}
    # Its end, version 3 of a stream whose versions 1 and 2 it never saw: applied at once, never held.
    person = stream(2)
    assert await consumer.handle_batch([person[1], ended, person[0]]) == [False, True, True]
    assert await consumer.held_count() == 0
    assert await positions(tables, "c") == {ended.stream_id: 3, person[0].stream_id: 2}  # intake's v2 held, released
    # Once: a copy alone or in a batch is a duplicate.
    assert await consumer.handle(ended) is False
    assert await consumer.handle_batch([ended, followed_up]) == [False, False]
    assert await versions(tables, ended.stream_id) == [3]
    assert await versions(tables, person[0].stream_id) == [1, 2]
    # A consumer reading every producer in order (no `alone_from`) still holds such an end for its predecessors.
    ordered = OrderedConsumer(tables, "o", effects)
    assert not ordered.passes_over("tracking", "MeetingLogged")
    assert await ordered.handle(ended) is False
    assert await ordered.held_count() == 1


async def test_a_batchs_positions_are_written_through_the_primary_key_in_a_generic_plan(tables):
    """The generic plan of the positions' write (a prepared statement's, from its sixth run on) reads the rows it
    moves by the key, not the whole table, though it cannot see how many streams the batch moved."""
    async with tables.acquire() as con:
        await con.execute(
            "INSERT INTO stream_positions (consumer, stream_id, version) "
            "SELECT 'tracking', 'duo-' || n, 1 FROM generate_series(1, 3000) AS n"
        )
        await con.execute("ANALYZE stream_positions")
        await con.execute("SET plan_cache_mode = force_generic_plan")
        await con.execute(f"PREPARE save_positions (text, text[], int[]) AS {SAVE_POSITIONS}")
        explained = await con.fetch("EXPLAIN EXECUTE save_positions ('tracking', ARRAY['duo-7', 'duo-8'], ARRAY[2, 3])")
        plan = "\n".join(row[0] for row in explained)
        assert "Seq Scan on stream_positions" not in plan and "stream_positions_pkey" in plan, plan


async def test_a_batch_of_new_streams_locks_them_with_its_insert_and_reads_again_only_those_made_meanwhile(tables):
    # Streams seen for the first time are made and locked by one insert (shared/consuming/batch_streams.py); a stream
    # another delivery made meanwhile (after the batch's first read, before its insert) is read and locked after it,
    # at the version that delivery left.
    statements: list[str] = []
    async with tables.acquire() as con, tables.acquire() as other:

        def logged(record) -> None:
            statements.append(record.query)

        con.add_query_logger(logged)
        try:
            async with con.transaction():
                fresh = await lock_streams(con, "reporting", {"mentee-a", "mentee-b"})
            meanwhile = other.transaction()
            await meanwhile.start()
            await other.execute(
                "INSERT INTO stream_positions (consumer, stream_id, version) VALUES ('reporting', 'mentee-raced', 3)"
            )
            async with con.transaction():
                locking = asyncio.create_task(lock_streams(con, "reporting", {"mentee-c", "mentee-raced"}))
                await poll_until_waiting_for_a_lock(other, con.get_server_pid())
                await meanwhile.commit()
                mixed = await locking
        finally:
            con.remove_query_logger(logged)
    assert fresh.last == {"mentee-a": 0, "mentee-b": 0} and mixed.last == {"mentee-c": 0, "mentee-raced": 3}
    locks = [q for q in statements if q.startswith("SELECT stream_id, version FROM stream_positions")]
    assert len(locks) == 3, statements  # one a batch, and one more for the stream made meanwhile


async def poll_until_waiting_for_a_lock(con: asyncpg.Connection, pid: int, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    query = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
    while not await con.fetchval(query, pid):
        assert asyncio.get_running_loop().time() < deadline, "the batch's insert never waited for the other's"
        await asyncio.sleep(0.01)
