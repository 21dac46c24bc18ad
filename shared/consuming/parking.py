"""What both consumers share: their effects by event type, and parking what cannot be applied.

An event whose effect can never succeed as it is goes to `parked_events` (with its envelope, for `duo parked
replay`); a Kafka message that is not a valid event of the platform goes to `parked_messages` (its value kept,
never logged). Tables: shared/eventstore/migrations/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import asyncpg
import structlog

from shared.consuming.consumer import NOT_REFUSED_ORIGIN
from shared.events.envelope import EventEnvelope

Effect = Callable[[asyncpg.Connection, EventEnvelope], Awaitable[None]]

log = structlog.get_logger("consumer")

_PARK_EVENT = (
    "INSERT INTO parked_events (consumer, event_id, event_type, reason, envelope) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (consumer, event_id) DO UPDATE SET reason = excluded.reason, parked_at = now()"
)


class ParkingConsumer:
    """A consumer's name, its effects, and where it parks what it cannot apply."""

    def __init__(self, pool: asyncpg.Pool, name: str, effects: Mapping[str, Effect]) -> None:
        self._pool = pool
        self.name = name
        self._effects = dict(effects)

    @property
    def event_types(self) -> frozenset[str]:
        """The event types this consumer has an effect for."""
        return frozenset(self._effects)

    def passes_over(self, producer: str | None, event_type: str | None) -> bool:
        """Whether the subscriber may leave such an event unread (docs/adr/0036): by default it reads them all."""
        return False

    async def park(self, envelope: EventEnvelope, reason: str) -> None:
        """Keep an event that cannot be applied, with the reason, for an operator to see and replay."""
        async with self._pool.acquire() as con:
            await park_event_on(con, self.name, envelope, reason)

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Apply one event (each consumer its own way); parks it if it cannot be applied."""
        raise NotImplementedError

    async def _applied(self, con: asyncpg.Connection, envelope: EventEnvelope) -> bool:
        """Whether the event is applied now, by this replay or an earlier delivery: then its parked row goes."""
        raise NotImplementedError

    async def _unpark_if(self, con: asyncpg.Connection, envelope: EventEnvelope, applied: str, *args: object) -> bool:
        """Delete the event's parked row (`p`) if `applied`, a query, finds a row: True when it did."""
        done = await con.fetchval(
            f"DELETE FROM parked_events p WHERE consumer = $1 AND event_id = $2 AND EXISTS ({applied}) RETURNING true",
            self.name,
            envelope.event_id,
            *args,
        )
        return bool(done)

    async def _replay_parked(self, order: str) -> tuple[int, int]:
        """Handle every parked event again in `order` (an ORDER BY); returns (resolved, replayed). The events
        parked for their origin (a forged source, an unknown office) stay: a replay cannot make them right."""
        async with self._pool.acquire() as con:
            rows = await con.fetch(
                f"SELECT envelope FROM parked_events WHERE consumer = $1 AND {NOT_REFUSED_ORIGIN} ORDER BY {order}",
                self.name,
            )
        resolved = 0
        for row in rows:
            envelope = EventEnvelope.model_validate(row["envelope"])
            await self.handle(envelope)  # parks it again (same row) if it still cannot apply
            async with self._pool.acquire() as con:
                resolved += await self._applied(con, envelope)
        return resolved, len(rows)

    async def park_message(
        self,
        topic: str,
        partition: int,
        offset: int,
        reason: str,
        headers: list[tuple[str, bytes]],
        value: bytes | None,
    ) -> None:
        """Keep a Kafka message that is not a valid event of the platform, with the reason (`parked_messages`)."""
        async with self._pool.acquire() as con:
            await park_message_on(con, self.name, topic, partition, offset, reason, headers, value)


async def park_event_on(con: asyncpg.Connection, consumer: str, envelope: EventEnvelope, reason: str) -> None:
    """Park an event on `con` (inside the caller's transaction, when it has one)."""
    log.error(
        "event parked: its effect can never succeed as it is",
        consumer=consumer,
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        stream_id=envelope.stream_id,
        stream_version=envelope.stream_version,
        reason=reason,
    )
    await con.execute(
        _PARK_EVENT, consumer, envelope.event_id, envelope.event_type, reason, envelope.model_dump(mode="json")
    )


_PARK_MESSAGE = (
    'INSERT INTO parked_messages (consumer, topic, partition, "offset", reason, headers, value) '
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    'ON CONFLICT (consumer, topic, partition, "offset") DO UPDATE SET reason = excluded.reason, parked_at = now()'
)


async def park_message_on(
    con: asyncpg.Connection,
    consumer: str,
    topic: str,
    partition: int,
    offset: int,
    reason: str,
    headers: list[tuple[str, bytes]],
    value: bytes | None,
) -> None:
    """Park a message that is not a valid event of the platform; its value is kept, never logged."""
    log.error(
        "message parked: not a valid event of the platform",
        consumer=consumer,
        topic=topic,
        partition=partition,
        offset=offset,
        reason=reason,
    )
    await con.execute(
        _PARK_MESSAGE,
        consumer,
        topic,
        partition,
        offset,
        reason,
        [[key, raw.decode(errors="replace") if raw is not None else None] for key, raw in headers],
        value,
    )
