"""The event store's pool releases connections without a reset statement (docs/adr/0015), and a single event's
append is one statement that commits with its outbox row."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import WrongExpectedVersion
from shared.eventstore.postgres import PostgresEventStore, create_pool
from shared.tenancy import Tenant

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
