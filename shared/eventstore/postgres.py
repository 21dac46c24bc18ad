"""The PostgreSQL event store (asyncpg): the source of truth of one service."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg

from shared.clock import Clock
from shared.events.envelope import EventEnvelope, NewEvent
from shared.eventstore.base import DuplicateEventId, WrongExpectedVersion
from shared.simulated_clock import clock_from_environment
from shared.tenancy import Tenant

OUTBOX_CHANNEL = "duo_outbox"
_SCHEMA_LOCK = 7_246_001  # advisory lock key: two services starting at once must not race on DDL

_INSERT_EVENT = """
INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, tenant, office,
                    occurred_at, recorded_at, actor, correlation_id, causation_id, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING global_position
"""
# The one column list an envelope is read from (the store's reads and the outbox relay's).
COLUMNS = """global_position, stream_id, stream_version, event_id, event_type, schema_version, tenant, office,
             occurred_at, recorded_at, actor, correlation_id, causation_id, data"""


async def apply_schema(pool: asyncpg.Pool, service_ddl: str | None = None) -> None:
    """Create the store's tables, and the service's own (`service_ddl`), if they are missing."""
    ddl = resources.files("shared.eventstore").joinpath("schema.sql").read_text()
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        await con.execute(ddl)
        if service_ddl:
            await con.execute(service_ddl)


async def init_connection(con: asyncpg.Connection) -> None:
    """Decode JSONB as Python objects on every pooled connection."""
    await con.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, **kwargs) -> asyncpg.Pool:
    """A pool whose connections speak JSONB as Python objects."""
    return await asyncpg.create_pool(dsn, init=init_connection, **kwargs)


def row_to_envelope(row: Mapping[str, Any]) -> EventEnvelope:
    """One `events` row as an envelope."""
    return EventEnvelope(**dict(row))


class PostgresEventStore:
    """Streams in one `events` table; the outbox row is written in the append's transaction."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock | None = None) -> None:
        self._pool = pool
        # When an event is recorded: the real time, or a demo's simulated calendar (shared/simulated_clock.py),
        # so that "as of a date" means the same in a simulated world as in the real one.
        self._clock = clock or clock_from_environment()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as con, con.transaction():
            yield con

    async def read_stream_in(self, tx: asyncpg.Connection, stream_id: str, tenant: Tenant) -> list[EventEnvelope]:
        """A stream's events in version order, read on `tx`; empty if the stream belongs to another branch.

        Filtering in the query, not after it, means another branch's record is "not found"
        by construction: nothing of theirs is ever loaded into a request of this branch.
        Reading on the transaction's own connection (not another pooled one) means a burst
        of requests can never exhaust the pool while each holds a connection and waits for a second.
        """
        rows = await tx.fetch(
            f"SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND tenant = $2 ORDER BY stream_version",
            stream_id,
            tenant.value,
        )
        return [row_to_envelope(row) for row in rows]

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[EventEnvelope]:
        async with self.transaction() as con:
            return await self.append_in(con, stream_id, expected_version, events)

    async def append_in(
        self, con: asyncpg.Connection, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Append inside a transaction the caller owns (to write a read model or dedupe row with it)."""
        # Outside a transaction the event and its outbox row would commit separately: a crash
        # between them would leave an event that is never published.
        assert con.is_in_transaction(), "append_in needs a transaction owned by the caller"
        actual = await con.fetchval("SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id) or 0
        if actual != expected_version:
            raise WrongExpectedVersion(stream_id, expected_version, actual)
        now = self._clock()
        recorded: list[EventEnvelope] = []
        try:
            # One savepoint for the whole batch: a conflict undoes every event of it, and the
            # caller's transaction stays usable (all or nothing, never half a decision).
            async with con.transaction():
                for offset, new in enumerate(events, start=1):
                    envelope = EventEnvelope.record(new, stream_id, expected_version + offset, now)
                    position = await con.fetchval(
                        _INSERT_EVENT,
                        stream_id,
                        envelope.stream_version,
                        envelope.event_id,
                        envelope.event_type,
                        envelope.schema_version,
                        envelope.tenant.value,
                        envelope.office,
                        envelope.occurred_at,
                        envelope.recorded_at,
                        envelope.actor,
                        envelope.correlation_id,
                        envelope.causation_id,
                        envelope.data,
                    )
                    await con.execute("INSERT INTO outbox (global_position) VALUES ($1)", position)
                    recorded.append(envelope.model_copy(update={"global_position": position}))
                # Delivered at commit only, so the relay never wakes for an event it cannot see yet.
                await con.execute(f"NOTIFY {OUTBOX_CHANNEL}")
        except asyncpg.UniqueViolationError as err:
            if err.constraint_name == "events_event_id_key":
                raise DuplicateEventId(stream_id) from None
            # A concurrent writer committed the same stream version first.
            raise WrongExpectedVersion(stream_id, expected_version, None) from None
        return recorded

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        async with self._pool.acquire() as con:
            rows = await con.fetch(
                f"SELECT {COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id
            )
        return [row_to_envelope(row) for row in rows]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        # Positions are taken before commit, so a reader polling by position can pass over a
        # late-committing lower one; consumers that must see everything use the outbox or Kafka.
        async with self._pool.acquire() as con:
            rows = await con.fetch(
                f"SELECT {COLUMNS} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2",
                after_position,
                limit,
            )
        return [row_to_envelope(row) for row in rows]
