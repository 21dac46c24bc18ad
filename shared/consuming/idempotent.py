"""Applying an event's effect exactly once, whatever Kafka redelivers.

The dedupe key is the event id, not the offset: `duo outbox republish` gives the
same event a new offset, and must still change nothing (docs/adr/0005).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import pydantic
import structlog

from shared.consuming.parking import Effect, ParkingConsumer
from shared.events.envelope import EventEnvelope
from shared.events.registry import UnknownEventType

# Failures a redelivery cannot cure: the event's data or the effect's constraints are wrong. Parked at once.
# The integrity violations are listed one by one: a foreign-key violation is not among them (see below).
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    pydantic.ValidationError,
    UnknownEventType,
    asyncpg.UniqueViolationError,
    asyncpg.CheckViolationError,
    asyncpg.NotNullViolationError,
    asyncpg.ExclusionViolationError,
    asyncpg.RestrictViolationError,
    asyncpg.DataError,
)

# The database is out of reach (down, restarting, the connection lost): nothing is wrong with the event.
# Retried with backoff for as long as it lasts, never parked (parking needs the database too).
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # ConnectionError and refused or reset sockets
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)

# Failures a retry is expected to cure: besides the connection, a lost race between transactions, or
# a row the effect refers to that has not arrived yet (its event comes from another partition or
# topic). They propagate: the subscriber retries with backoff, and only parks an event that still
# fails after DUO_MAX_ATTEMPTS attempts (shared/consuming/subscriber.py), so that a row that never
# arrives cannot block the partition for ever.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    *CONNECTION_ERRORS,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.ForeignKeyViolationError,
)


log = structlog.get_logger("consumer")


class IdempotentConsumer(ParkingConsumer):
    """Runs the effect registered for an event type, once per event id, in one transaction with its record."""

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Apply the event; False when it was seen before, parked, or of no interest to this consumer.

        Errors that a retry cannot cure are parked; any other error propagates, so the
        message is redelivered.
        """
        effect = self._effects.get(envelope.event_type)
        if effect is None:
            return False
        try:
            return await self._apply(effect, envelope)
        except PERMANENT_ERRORS as err:
            await self.park(envelope, type(err).__name__)
            return False

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> list[bool]:
        """Apply a batch in one transaction: one dedupe statement for all, then each new event's effect in order.

        True for each event whose effect ran now. Any error rolls the whole batch back and propagates: the
        subscriber then applies the batch one event at a time, where each error is sorted (parked or retried).
        """
        wanted = [e.event_id for e in envelopes if e.event_type in self._effects]
        if not wanted:
            return [False] * len(envelopes)
        applied = []
        async with self._pool.acquire() as con, con.transaction():
            fresh = {
                row["event_id"]
                for row in await con.fetch(
                    "INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::uuid[]) "
                    "ON CONFLICT DO NOTHING RETURNING event_id",
                    self.name,
                    wanted,
                )
            }
            for envelope in envelopes:
                first_time = envelope.event_id in fresh
                fresh.discard(envelope.event_id)  # a second copy in the same batch is a duplicate
                if first_time:
                    await self._effects[envelope.event_type](con, envelope)
                applied.append(first_time)
        return applied

    async def _apply(self, effect: Effect, envelope: EventEnvelope) -> bool:
        async with self._pool.acquire() as con, con.transaction():
            # A concurrent duplicate blocks on this row until the first commits, then finds it.
            first_time = await con.fetchval(
                "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING true",
                self.name,
                envelope.event_id,
            )
            if not first_time:
                log.debug("duplicate event ignored", event_id=str(envelope.event_id))
                return False
            await effect(con, envelope)
        return True

    async def replay_parked(self) -> tuple[int, int]:
        """Handle every parked event again, once its cause is fixed; returns (resolved, still parked)."""
        resolved, replayed = await self._replay_parked("parked_at")
        return resolved, replayed - resolved

    async def _applied(self, con: asyncpg.Connection, envelope: EventEnvelope) -> bool:
        # Resolved once its dedupe record exists, whether this replay or an earlier one applied it.
        dedupe = "SELECT 1 FROM processed_events d WHERE d.consumer = p.consumer AND d.event_id = p.event_id"
        return await self._unpark_if(con, envelope, dedupe)
