"""How the event store commits: a single event's append is one statement with its outbox row, pooled
connections go back without a reset statement (docs/adr/0015), and the relay is told after the commit from a
connection of its own (docs/adr/0016)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import WrongExpectedVersion
from shared.eventstore.postgres import OUTBOX_CHANNEL, PostgresEventStore, create_pool
from shared.eventstore.wakeup import OutboxWakeup
from shared.tenancy import Tenant
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def one_registration() -> list[NewEvent]:
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="test")
    return [NewEvent(MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q"), meta)]


async def test_a_released_connection_keeps_its_session_but_not_an_open_transaction(database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as con:
            await con.execute("CREATE TABLE kept (n int)")
            # No reset statement on release: a session setting survives (RESET ALL would undo it).
            await con.execute("SET application_name = 'kept-session'")
        async with pool.acquire() as con:
            assert await con.fetchval("SHOW application_name") == "kept-session"
            await con.execute("RESET application_name")
        # A transaction left open is still rolled back before the connection goes back to the pool.
        con = await pool.acquire()
        transaction = con.transaction()
        await transaction.start()
        await con.execute("INSERT INTO kept VALUES (1)")
        await pool.release(con)
        async with pool.acquire() as con:
            assert not con.is_in_transaction()
            assert await con.fetchval("SELECT count(*) FROM kept") == 0
    finally:
        await pool.close()


async def test_a_single_event_append_commits_with_its_outbox_row_without_a_transaction(pool: asyncpg.Pool):
    store = PostgresEventStore(pool)
    stream = f"mentee-{uuid.uuid4()}"
    [stored] = await store.append(stream, 0, one_registration())
    with pytest.raises(WrongExpectedVersion):
        await store.append(stream, 0, one_registration())
    async with pool.acquire() as con:
        assert not con.is_in_transaction()
        events = await con.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", stream)
        outboxed = await con.fetchval("SELECT count(*) FROM outbox WHERE global_position = $1", stored.global_position)
    assert (events, outboxed) == (1, 1)


class Listener:
    """Who sent each NOTIFY on the outbox channel (the backend's process id), heard on `con`."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self.con = con
        self.senders: list[int] = []

    def __call__(self, _con, pid: int, _channel: str, _payload: str) -> None:
        self.senders.append(pid)

    def heard(self, count: int):
        async def check() -> bool:
            return len(self.senders) >= count

        return check


@pytest_asyncio.fixture
async def listener(database_url: str) -> AsyncIterator[Listener]:
    con = await asyncpg.connect(database_url)
    heard = Listener(con)
    await con.add_listener(OUTBOX_CHANNEL, heard)
    yield heard
    await con.close()


@pytest_asyncio.fixture
async def wakeup(database_url: str) -> AsyncIterator[OutboxWakeup]:
    wakeup = OutboxWakeup(database_url, OUTBOX_CHANNEL)
    yield wakeup
    await wakeup.close()


async def test_with_a_wakeup_the_relay_is_told_after_the_commit_from_another_connection(
    pool: asyncpg.Pool, listener: Listener, wakeup: OutboxWakeup
):
    store = PostgresEventStore(pool, wakeup=wakeup)
    async with store.transaction() as con:
        appender = con.get_server_pid()
        await store.append_in(con, f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(1), what="a NOTIFY after the commit")
    assert len(listener.senders) == 1
    # Not from the appending transaction: a NOTIFY there would hold the notification queue's lock through
    # its commit, and concurrent commits could not share a WAL flush.
    assert listener.senders[0] != appender
    await store.append(f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(2), what="a NOTIFY after a single append")
    # Rolled back: nothing committed, nothing told.
    with pytest.raises(RuntimeError):
        async with store.transaction() as con:
            await store.append_in(con, f"mentee-{uuid.uuid4()}", 0, one_registration())
            raise RuntimeError("the command failed after its append")
    # A committed append after it is told; had the rolled-back one been told too, there would be four.
    await store.append(f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(3), what="a NOTIFY after the next append")
    await listener.con.execute("SELECT 1")  # delivers anything still in flight
    assert len(listener.senders) == 3


async def test_without_a_wakeup_the_append_notifies_inside_its_own_transaction(pool: asyncpg.Pool, listener: Listener):
    store = PostgresEventStore(pool)
    async with store.transaction() as con:
        appender = con.get_server_pid()
        await store.append_in(con, f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(1), what="the append's own NOTIFY")
    assert listener.senders == [appender]


async def test_a_wakeup_whose_connection_died_reconnects_at_the_next_commit(
    pool: asyncpg.Pool, listener: Listener, wakeup: OutboxWakeup
):
    store = PostgresEventStore(pool, wakeup=wakeup)
    await store.append(f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(1), what="the first NOTIFY")
    await listener.con.execute("SELECT pg_terminate_backend($1)", listener.senders[0])
    # This commit's NOTIFY is lost with the connection (the relay's safety poll covers it)...
    await store.append(f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(wakeup_idle(wakeup), what="the failed NOTIFY given up")
    # ...and the next commit's goes out on a new connection.
    await store.append(f"mentee-{uuid.uuid4()}", 0, one_registration())
    await eventually(listener.heard(2), what="a NOTIFY on a new connection")
    assert listener.senders[-1] != listener.senders[0]


def wakeup_idle(wakeup: OutboxWakeup):
    async def check() -> bool:
        return wakeup._task is not None and wakeup._task.done()

    return check
