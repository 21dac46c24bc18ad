"""The PostgreSQL event store (asyncpg): the source of truth of one service."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from shared.clock import Clock, utc_now
from shared.events.envelope import EventEnvelope, NewEvent
from shared.eventstore import several_streams
from shared.eventstore.base import DuplicateEventId, StreamAppend, WrongExpectedVersion
from shared.eventstore.wakeup import OutboxWakeup
from shared.migrations import EVENT_STORE, LOCK_KEY, MigrationSet, migrate
from shared.tenancy import Tenant

OUTBOX_CHANNEL = "duo_outbox"
_SCHEMA_LOCK = LOCK_KEY  # advisory lock key: two services starting at once must not race on DDL

_COLUMNS_WRITTEN = """stream_id, stream_version, event_id, event_type, schema_version, tenant, office,
                      occurred_at, recorded_at, actor, correlation_id, causation_id, data"""


def _append_statement(rows: str, notify: bool) -> str:
    """The append as one statement: the version check, the events (`rows`, a SELECT of the columns written),
    their outbox rows and, with `notify`, one NOTIFY (delivered at commit). $1 is the stream, $2 the expected
    version, $3 the recorded time."""
    notified = f"(SELECT count(*) FROM (SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM appended LIMIT 1) AS n)"
    return f"""
WITH current AS (
    SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = $1
), appended AS (
    INSERT INTO events ({_COLUMNS_WRITTEN})
    {rows}
    ON CONFLICT DO NOTHING
    RETURNING global_position, stream_version
), outboxed AS (
    INSERT INTO outbox (global_position) SELECT global_position FROM appended
)
SELECT (SELECT version FROM current) AS version,
       (SELECT array_agg(global_position ORDER BY stream_version) FROM appended) AS positions,
       {notified if notify else 0} AS notified
"""


# Several events: one array per column, one element per event ($4 to $13).
_SEVERAL = """SELECT $1, $2 + e.n, e.event_id, e.event_type, e.schema_version, e.tenant, e.office,
           e.occurred_at, $3, e.actor, e.correlation_id, e.causation_id, e.data::jsonb
    FROM unnest($4::uuid[], $5::text[], $6::int[], $7::text[], $8::text[], $9::timestamptz[], $10::text[],
                $11::uuid[], $12::uuid[], $13::text[])
         WITH ORDINALITY AS e(event_id, event_type, schema_version, tenant, office, occurred_at, actor,
                              correlation_id, causation_id, data, n)
    WHERE (SELECT version FROM current) = $2"""

# One event (what nearly every command appends): the same columns as plain parameters, which asyncpg encodes
# with less work than ten one-element arrays (about 10% more appends per second with one writer).
_ONE = """SELECT $1, $2 + 1, $4::uuid, $5::text, $6::int, $7::text, $8::text,
           $9::timestamptz, $3, $10::text, $11::uuid, $12::uuid, $13::text::jsonb
    WHERE (SELECT version FROM current) = $2"""

# By (one event, NOTIFY inside): the NOTIFY stays out of the statement when the store tells the relay itself
# after the commit (shared/eventstore/wakeup.py).
_APPEND = {
    (one, notify): _append_statement(_ONE if one else _SEVERAL, notify)
    for one in (True, False)
    for notify in (True, False)
}

# Several streams at once (append_streams_in), by NOTIFY inside.
_APPEND_STREAMS = {
    notify: several_streams.statement(_COLUMNS_WRITTEN, OUTBOX_CHANNEL, notify) for notify in (True, False)
}


class _Conflict(Exception):
    """Inside the batch's savepoint: fewer events were inserted than asked (undone with the savepoint)."""


def _positioned(envelopes: list[EventEnvelope], row: asyncpg.Record) -> list[EventEnvelope]:
    return [e.model_copy(update={"global_position": p}) for e, p in zip(envelopes, row["positions"], strict=True)]


def _complete(row: asyncpg.Record | None, envelopes: list[EventEnvelope]) -> bool:
    return row is not None and len(row["positions"] or ()) == len(envelopes)


async def _raise_conflict(
    con: asyncpg.Connection,
    stream_id: str,
    expected_version: int,
    row: asyncpg.Record | None,
    envelopes: list[EventEnvelope],
) -> None:
    """Why an append inserted nothing, or (without a savepoint) not all of its events: a stale expected version,
    an event id already stored (by someone else: not one of the rows this append just inserted), or a lost race."""
    actual = row["version"] if row is not None else None
    if actual is not None and actual != expected_version:
        raise WrongExpectedVersion(stream_id, expected_version, actual)
    inserted = list(row["positions"] or ()) if row is not None else []
    if await con.fetchval(
        "SELECT EXISTS (SELECT 1 FROM events WHERE event_id = ANY($1::uuid[]) "
        "AND global_position <> ALL($2::bigint[]))",
        [e.event_id for e in envelopes],
        inserted,
    ):
        raise DuplicateEventId(stream_id)
    # A concurrent writer committed the same stream version first.
    raise WrongExpectedVersion(stream_id, expected_version, None)


# What an event is stored as, besides its position in one store: reporting's ledger of every service's facts keeps
# the same columns (services/reporting/adapters/projection.py).
FACT_COLUMNS = (
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "tenant",
    "office",
    "occurred_at",
    "recorded_at",
    "actor",
    "correlation_id",
    "causation_id",
    "data",
)
# The one column list an envelope is read from (the store's reads and the outbox relay's).
COLUMNS = ", ".join(("global_position", *FACT_COLUMNS))


async def apply_schema(
    pool: asyncpg.Pool, service_ddl: str | None = None, migrations: Sequence[MigrationSet] = ()
) -> None:
    """Bring the store's tables, and the service's own (`migrations`), to their latest version (shared/migrations.py).

    `service_ddl`, idempotent DDL of tables not under migrations (tests build such tables), runs afterwards
    under the same lock.
    """
    await migrate(pool, [EVENT_STORE, *migrations])
    if service_ddl:
        async with pool.acquire() as con, con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            await con.execute(service_ddl)


async def init_connection(con: asyncpg.Connection) -> None:
    """Decode JSONB as Python objects on every pooled connection."""
    await con.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def keep_session(con: asyncpg.Connection) -> None:
    """Hand a connection back to the pool without asyncpg's reset statement (one round trip per release).

    asyncpg still rolls back a transaction left open and forgets the connection's listeners before this runs.
    The reset statement would also release session advisory locks, close cursors, UNLISTEN and RESET ALL: the
    platform keeps none of that on pooled connections (the relay LISTENs and holds its leader lock on a
    connection of its own; the migrations' session lock is released in a `finally`; nothing SETs a session
    variable), so it would be a round trip for nothing on every command (docs/adr/0015).
    """
    del con


# A pooled connection serves requests and applies batches: short statements on indexes, each reading the rows it
# returns. A parallel plan's workers are processes started for one statement, several milliseconds each, and they
# compete with the other readers for the same cores: at 10,000,000 facts `GET /coordination`'s plan started two a
# list (eight a read) to sort listings of which it kept 50 (docs/adr/0040). A rebuild and its replay worker read on
# connections of their own and keep PostgreSQL's default.
SERVING_SETTINGS = {"max_parallel_workers_per_gather": "0"}


async def create_pool(dsn: str, **kwargs: Any) -> asyncpg.Pool:
    """A pool whose connections speak JSONB as Python objects, plan without parallel workers (SERVING_SETTINGS) and
    are released without a reset statement."""
    kwargs.setdefault("reset", keep_session)
    kwargs.setdefault("server_settings", SERVING_SETTINGS)
    return await asyncpg.create_pool(dsn, init=init_connection, **kwargs)


def row_to_envelope(row: Mapping[str, Any]) -> EventEnvelope:
    """One `events` row as an envelope."""
    return EventEnvelope(**dict(row))


class PostgresEventStore:
    """Streams in one `events` table; the outbox row is written in the append's transaction."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock = utc_now, wakeup: OutboxWakeup | None = None) -> None:
        self._pool = pool
        # Without a wake-up, each append NOTIFYs the relay inside its own transaction.
        self._wakeup = wakeup
        # The transactions opened by `transaction()` (by connection) and whether they appended: the relay is
        # told after their commit.
        self._appending: dict[int, bool] = {}
        # Those opened `undone_on_conflict` (by connection), and whether an append's conflict happened in them.
        self._undone_on_conflict: dict[int, bool] = {}
        # When an event is recorded: the service's clock (a demo passes its simulated calendar), so that
        # "as of a date" means the same in a simulated world as in the real one.
        self._clock = clock

    @asynccontextmanager
    async def transaction(self, *, undone_on_conflict: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A transaction on a pooled connection; what it appends is told to the relay after its commit.

        `undone_on_conflict` (EventStore.transaction): an append of several events in it takes no savepoint (two
        round trips fewer); after its conflict, which may have left part of the events inserted, the transaction
        can only be rolled back: a block that caught the conflict and ended normally raises here instead."""
        async with self._pool.acquire() as con:
            async with con.transaction():
                self._appending[id(con)] = False
                if undone_on_conflict:
                    self._undone_on_conflict[id(con)] = False
                try:
                    yield con
                    if self._undone_on_conflict.get(id(con)):
                        raise RuntimeError("an append's conflict was caught in a transaction it must undo: rolled back")
                finally:
                    appended = self._appending.pop(id(con))
                    self._undone_on_conflict.pop(id(con), None)
            # Reached only once committed: an exception above rolled back and skips this.
            if appended and self._wakeup is not None:
                self._wakeup.committed()

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
        if len(events) != 1:
            async with self.transaction() as con:
                return await self.append_in(con, stream_id, expected_version, events)
        # One event: the append is one statement, and a statement is a transaction of its own (the event and its
        # outbox row commit together or not at all): no BEGIN and COMMIT round trips.
        async with self._pool.acquire() as con:
            appended = await self._append_one_statement(con, stream_id, expected_version, events, notify=False)
        if self._wakeup is not None:
            self._wakeup.committed()
        return appended

    async def append_in(
        self, con: asyncpg.Connection, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Append inside a transaction the caller owns (to write a read model or dedupe row with it)."""
        # The caller's transaction commits the events with what it wrote beside them (a read model, a dedupe
        # row); without it, a batch's events could be half stored by a conflict (no savepoint to undo it).
        assert con.is_in_transaction(), "append_in needs a transaction owned by the caller"
        told_after_commit = id(con) in self._appending
        appended = await self._append_one_statement(
            con, stream_id, expected_version, events, notify=not told_after_commit
        )
        if told_after_commit:
            self._appending[id(con)] = True
        return appended

    async def append_streams_in(
        self, con: asyncpg.Connection, appends: Sequence[StreamAppend]
    ) -> list[list[EventEnvelope]]:
        """Several streams' appends in one statement, inside a transaction the caller owns (a batch command's)."""
        assert con.is_in_transaction(), "append_streams_in needs a transaction owned by the caller"
        told_after_commit = id(con) in self._appending
        notify = not told_after_commit or self._wakeup is None
        now = self._clock()
        parts = several_streams.envelopes_of(appends, now)
        arguments = several_streams.arguments(appends, parts, now)
        if id(con) in self._undone_on_conflict:
            # The caller's transaction is undone whole on a conflict (a command's attempt): no savepoint of our own.
            row = await con.fetchrow(_APPEND_STREAMS[notify], *arguments)
            if not several_streams.complete(row, parts):
                self._undone_on_conflict[id(con)] = True  # some events may be in: it must not commit
                await several_streams.raise_conflict(con, appends, parts, row)
        else:
            try:
                async with con.transaction():  # a savepoint: a conflict undoes every part, the caller's tx goes on
                    row = await con.fetchrow(_APPEND_STREAMS[notify], *arguments)
                    if not several_streams.complete(row, parts):
                        raise _Conflict()
            except _Conflict:
                await several_streams.raise_conflict(con, appends, parts, row)
        if told_after_commit and any(parts):
            self._appending[id(con)] = True
        return several_streams.positioned(row, parts)

    async def _append_one_statement(
        self,
        con: asyncpg.Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        notify: bool,
    ) -> list[EventEnvelope]:
        """The append's one statement, on `con`: inside the caller's transaction, or as a transaction of its own
        for a single event (a row is inserted or not: nothing half done to undo). `notify`: the NOTIFY goes in
        the statement, or (False) whoever commits tells the wake-up; without a wake-up it always goes in."""
        notify = notify or self._wakeup is None
        if not events:
            actual = await con.fetchval("SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id) or 0
            if actual != expected_version:
                raise WrongExpectedVersion(stream_id, expected_version, actual)
            return []
        now = self._clock()
        envelopes = [
            EventEnvelope.record(new, stream_id, expected_version + offset, now)
            for offset, new in enumerate(events, start=1)
        ]
        # One statement, one round trip: the version check, the events, their outbox rows and, without a wake-up,
        # the NOTIFY (delivered at commit only, so the relay never wakes for an event it cannot see yet). A conflict
        # (a concurrent writer's version, or an event id already stored) inserts nothing in its place.
        if len(envelopes) == 1:
            # A single row is inserted or not: nothing to undo, so no savepoint (two more round trips).
            [e] = envelopes
            row = await con.fetchrow(
                _APPEND[True, notify],
                stream_id,
                expected_version,
                now,
                e.event_id,
                e.event_type,
                e.schema_version,
                e.tenant.value,
                e.office,
                e.occurred_at,
                e.actor,
                e.correlation_id,
                e.causation_id,
                json.dumps(e.data),
            )
            if not _complete(row, envelopes):
                await _raise_conflict(con, stream_id, expected_version, row, envelopes)
            return [e.model_copy(update={"global_position": row["positions"][0]})]
        columns = several_streams.event_columns(envelopes)
        if id(con) in self._undone_on_conflict:
            # The caller's transaction is undone whole on a conflict (a command's attempt): no savepoint of our own.
            row = await con.fetchrow(_APPEND[False, notify], stream_id, expected_version, now, *columns)
            if not _complete(row, envelopes):
                self._undone_on_conflict[id(con)] = True  # some events may be in: it must not commit
                await _raise_conflict(con, stream_id, expected_version, row, envelopes)
            return _positioned(envelopes, row)
        try:
            # One savepoint for the whole batch: a conflict undoes every event of it, and the
            # caller's transaction stays usable (all or nothing, never half a decision).
            async with con.transaction():
                row = await con.fetchrow(_APPEND[False, notify], stream_id, expected_version, now, *columns)
                if not _complete(row, envelopes):
                    raise _Conflict()
        except _Conflict:
            pass
        if not _complete(row, envelopes):
            await _raise_conflict(con, stream_id, expected_version, row, envelopes)
        return _positioned(envelopes, row)

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
