"""One contract for every event store: the in-memory fake must behave like PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM, DuplicateEventId, StreamAppend, WrongExpectedVersion
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.postgres import PostgresEventStore
from shared.tenancy import Tenant
from tests.conftest import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest):
    if request.param == "memory":
        return InMemoryEventStore()
    return PostgresEventStore(request.getfixturevalue("pool"))


def registered(n: int = 1) -> list[NewEvent]:
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="test")
    return [NewEvent(MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q"), meta) for _ in range(n)]


def stream() -> str:
    return f"mentee-{uuid.uuid4()}"


async def test_appended_events_are_read_back_in_version_order(store):
    sid = stream()
    first = await store.append(sid, NO_STREAM, registered(2))
    await store.append(sid, 2, registered(1))
    events = await store.read_stream(sid)
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert events[0].event_id == first[0].event_id
    assert events[0].event_type == "MenteeRegistered"
    assert events[0].tenant is Tenant.BE and events[0].office == "be-gent"
    assert events[0].payload() == first[0].payload()


async def test_a_stale_expected_version_is_refused_and_appends_nothing(store):
    sid = stream()
    await store.append(sid, NO_STREAM, registered(1))
    with pytest.raises(WrongExpectedVersion):
        await store.append(sid, NO_STREAM, registered(1))
    with pytest.raises(WrongExpectedVersion):
        await store.append(sid, 5, registered(1))
    assert len(await store.read_stream(sid)) == 1


async def test_an_unknown_stream_reads_empty(store):
    assert await store.read_stream(stream()) == []


async def test_concurrent_writers_exactly_one_wins_each_version(store):
    sid = stream()
    writers = 20

    async def write() -> str:
        try:
            await store.append(sid, NO_STREAM, registered(1))
            return "won"
        except WrongExpectedVersion:
            return "conflict"

    outcomes = await asyncio.gather(*(write() for _ in range(writers)))
    assert outcomes.count("won") == 1
    assert outcomes.count("conflict") == writers - 1
    assert [e.stream_version for e in await store.read_stream(sid)] == [1]


async def test_racing_writers_who_retry_lose_nothing(store):
    sid = stream()

    async def append_with_retry() -> None:
        while True:
            version = len(await store.read_stream(sid))
            try:
                await store.append(sid, version, registered(1))
                return
            except WrongExpectedVersion:
                continue

    await asyncio.gather(*(append_with_retry() for _ in range(10)))
    assert [e.stream_version for e in await store.read_stream(sid)] == list(range(1, 11))


async def test_the_same_event_id_is_never_stored_twice(store):
    batch = registered(1)
    await store.append(stream(), NO_STREAM, batch)
    other = stream()
    with pytest.raises(DuplicateEventId):
        await store.append(other, NO_STREAM, registered(1) + batch)
    assert await store.read_stream(other) == []  # all or nothing: the first event of the batch is gone too


async def test_read_all_from_a_global_position(store):
    a, b = stream(), stream()
    await store.append(a, NO_STREAM, registered(2))
    await store.append(b, NO_STREAM, registered(1))
    everything = await store.read_all()
    assert [(e.stream_id, e.stream_version) for e in everything] == [(a, 1), (a, 2), (b, 1)]
    positions = [e.global_position for e in everything]
    assert positions == sorted(positions)
    after_first = await store.read_all(after_position=positions[0])
    assert [e.event_id for e in after_first] == [e.event_id for e in everything[1:]]
    assert len(await store.read_all(after_position=positions[0], limit=1)) == 1


async def test_a_conflict_inside_a_callers_transaction_undoes_the_whole_batch(store):
    stored = registered(1)
    await store.append(stream(), NO_STREAM, stored)
    fresh, failing = stream(), stream()
    async with store.transaction() as tx:
        await store.append_in(tx, fresh, NO_STREAM, registered(1))
        with pytest.raises(DuplicateEventId):
            # The second event of this batch is already stored: the first must not stay behind.
            await store.append_in(tx, failing, NO_STREAM, registered(1) + stored)
        # The caller may go on: its own first append is kept, none of the failed batch is.
    assert len(await store.read_stream(fresh)) == 1
    assert await store.read_stream(failing) == []


async def test_a_conflict_in_a_transaction_undone_on_conflict_leaves_nothing_of_it(store):
    stored = registered(1)
    await store.append(stream(), NO_STREAM, stored)
    fresh, failing = stream(), stream()
    with pytest.raises(DuplicateEventId):  # the batch's own first and third events are not taken for the duplicate
        async with store.transaction(undone_on_conflict=True) as tx:
            await store.append_in(tx, fresh, NO_STREAM, registered(1))
            await store.append_in(tx, failing, NO_STREAM, registered(1) + stored + registered(1))
    assert await store.read_stream(fresh) == [] and await store.read_stream(failing) == []
    # Caught inside, the conflict still undoes the transaction: part of the batch may be in it.
    with pytest.raises(RuntimeError, match="rolled back"):
        async with store.transaction(undone_on_conflict=True) as tx:
            await store.append_in(tx, fresh, NO_STREAM, registered(1))
            with pytest.raises(DuplicateEventId):
                await store.append_in(tx, failing, NO_STREAM, registered(1) + stored)
    assert await store.read_stream(fresh) == [] and await store.read_stream(failing) == []
    async with store.transaction(undone_on_conflict=True) as tx:  # without a conflict, it commits
        await store.append_in(tx, fresh, NO_STREAM, registered(3))
    assert len(await store.read_stream(fresh)) == 3


def blocked_by(pool, winner) -> Callable[[], Awaitable[bool]]:
    """Whether some session waits on a lock the `winner` connection holds (a race's loser reaching its wait)."""

    async def check() -> bool:
        async with pool.acquire() as look:
            blocked = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
            return bool(await look.fetchval(blocked, winner.get_server_pid()))

    return check


async def test_a_batch_that_loses_a_race_without_a_savepoint_is_undone_with_its_transaction(pool):
    store, sid = PostgresEventStore(pool), stream()
    async with pool.acquire() as first:
        winner = first.transaction()
        await winner.start()
        await store.append_in(first, sid, NO_STREAM, registered(1))  # version 1 taken, not committed yet

        async def batch() -> None:
            async with store.transaction(undone_on_conflict=True) as tx:
                await store.append_in(tx, sid, NO_STREAM, registered(3))

        loser = asyncio.create_task(batch())
        # The batch's insert of version 1 waits on the winner's row: versions 2 and 3 would then go in.
        await eventually(blocked_by(pool, first), what="the batch waiting for the winner's version 1")
        await winner.commit()
        with pytest.raises(WrongExpectedVersion):
            await loser
    assert [e.stream_version for e in await store.read_stream(sid)] == [1]


async def test_the_outbox_holds_what_a_callers_transaction_appended(pool):
    store = PostgresEventStore(pool)
    async with store.transaction() as con:
        await store.append_in(con, stream(), NO_STREAM, registered(2))
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM outbox") == 2


async def test_a_callers_transaction_reads_its_own_appends_and_another_branch_reads_nothing(store):
    sid = stream()
    async with store.transaction() as tx:
        await store.append_in(tx, sid, NO_STREAM, registered(1))
        assert [e.stream_version for e in await store.read_stream_in(tx, sid, Tenant.BE)] == [1]
        assert await store.read_stream_in(tx, sid, Tenant.NL) == []
        await store.append_in(tx, sid, 1, registered(1))
    async with store.transaction() as tx:
        assert [e.stream_version for e in await store.read_stream_in(tx, sid, Tenant.BE)] == [1, 2]
        assert await store.read_stream_in(tx, sid, Tenant.FR) == []


async def test_a_transaction_that_fails_appends_nothing(store):
    sid = stream()
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await store.append_in(tx, sid, NO_STREAM, registered(2))
            raise RuntimeError("the command failed after its append")
    assert await store.read_stream(sid) == []
    await store.append(sid, NO_STREAM, registered(1))  # the version is free again


async def test_two_transactions_racing_for_one_version_commit_one(store):
    sid = stream()

    async def write() -> str:
        try:
            async with store.transaction() as tx:
                await store.append_in(tx, sid, NO_STREAM, registered(1))
                await asyncio.sleep(0.01)  # both have appended before either commits
            return "won"
        except WrongExpectedVersion:
            return "lost"

    assert sorted(await asyncio.gather(write(), write())) == ["lost", "won"]
    assert len(await store.read_stream(sid)) == 1


async def test_append_in_refuses_to_run_outside_a_transaction(pool):
    async with pool.acquire() as con:
        with pytest.raises(AssertionError):
            await PostgresEventStore(pool).append_in(con, stream(), NO_STREAM, registered(1))


# --- Several streams at once (append_streams_in) ---------------------------------------------------


async def test_appends_to_several_streams_at_once_go_in_together_in_order(store):
    a, b = stream(), stream()
    await store.append(a, NO_STREAM, registered(1))
    async with store.transaction() as tx:
        parts = await store.append_streams_in(
            tx,
            [
                StreamAppend(a, 1, registered(2)),
                StreamAppend(b, NO_STREAM, registered(1)),
                StreamAppend(a, 3, registered(1)),
            ],
        )
    assert [[(e.stream_id, e.stream_version) for e in part] for part in parts] == [[(a, 2), (a, 3)], [(b, 1)], [(a, 4)]]
    assert [e.stream_version for e in await store.read_stream(a)] == [1, 2, 3, 4]
    assert [e.event_id for e in await store.read_stream(b)] == [e.event_id for e in parts[1]]
    # The parts' order is the global order, so each stream's events are published in version order.
    positions = [e.global_position for part in parts for e in part]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert [e.global_position for e in await store.read_stream(a)][1:] == [
        e.global_position for e in parts[0] + parts[2]
    ]


async def test_a_stale_stream_among_several_appends_nothing_of_any(store):
    a, b = stream(), stream()
    await store.append(b, NO_STREAM, registered(1))
    with pytest.raises(WrongExpectedVersion) as refused:
        async with store.transaction() as tx:
            await store.append_streams_in(
                tx, [StreamAppend(a, NO_STREAM, registered(2)), StreamAppend(b, 0, registered(1))]
            )
    assert (refused.value.stream_id, refused.value.expected, refused.value.actual) == (b, 0, 1)
    assert await store.read_stream(a) == [] and len(await store.read_stream(b)) == 1
    with pytest.raises(WrongExpectedVersion):  # a stream's second part must follow its first
        async with store.transaction() as tx:
            await store.append_streams_in(
                tx, [StreamAppend(a, NO_STREAM, registered(2)), StreamAppend(a, 1, registered(1))]
            )
    assert await store.read_stream(a) == []
    async with store.transaction() as tx:  # a part with no events still has its version checked
        with pytest.raises(WrongExpectedVersion):
            await store.append_streams_in(tx, [StreamAppend(a, NO_STREAM, registered(1)), StreamAppend(b, 5, [])])
    assert await store.read_stream(a) == []


async def test_a_duplicate_among_several_streams_undoes_the_call_and_keeps_the_callers_own(store):
    stored = registered(1)
    await store.append(stream(), NO_STREAM, stored)
    own, a, b = stream(), stream(), stream()
    async with store.transaction() as tx:
        await store.append_in(tx, own, NO_STREAM, registered(1))
        with pytest.raises(DuplicateEventId) as refused:
            await store.append_streams_in(
                tx, [StreamAppend(a, NO_STREAM, registered(2)), StreamAppend(b, NO_STREAM, stored)]
            )
        assert refused.value.stream_id == b
    assert len(await store.read_stream(own)) == 1
    assert await store.read_stream(a) == [] and await store.read_stream(b) == []
    with pytest.raises(RuntimeError, match="rolled back"):  # caught inside a transaction undone on conflict
        async with store.transaction(undone_on_conflict=True) as tx:
            await store.append_in(tx, own, 1, registered(1))
            with pytest.raises(DuplicateEventId):
                await store.append_streams_in(tx, [StreamAppend(a, NO_STREAM, registered(1) + stored)])
    assert len(await store.read_stream(own)) == 1 and await store.read_stream(a) == []


async def test_several_streams_that_lose_a_race_are_undone_with_their_transaction(pool):
    store, a, b = PostgresEventStore(pool), stream(), stream()
    async with pool.acquire() as first:
        winner = first.transaction()
        await winner.start()
        await store.append_in(first, b, NO_STREAM, registered(1))  # b's version 1 taken, not committed yet

        async def batch() -> None:
            async with store.transaction(undone_on_conflict=True) as tx:
                await store.append_streams_in(
                    tx, [StreamAppend(a, NO_STREAM, registered(2)), StreamAppend(b, NO_STREAM, registered(1))]
                )

        loser = asyncio.create_task(batch())
        # The batch waits for b's version 1; a's events are in already.
        await eventually(blocked_by(pool, first), what="the batch waiting for the winner's version 1 of b")
        await winner.commit()
        with pytest.raises(WrongExpectedVersion) as lost:
            await loser
    assert lost.value.stream_id == b
    assert await store.read_stream(a) == [] and len(await store.read_stream(b)) == 1


async def test_the_outbox_holds_what_several_streams_appended(pool):
    store = PostgresEventStore(pool)
    async with store.transaction() as con:
        await store.append_streams_in(
            con, [StreamAppend(stream(), NO_STREAM, registered(2)), StreamAppend(stream(), NO_STREAM, registered(1))]
        )
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM outbox") == 3
