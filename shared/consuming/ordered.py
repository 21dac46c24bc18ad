"""Applying each stream's events in stream-version order, exactly once, whatever Kafka redelivers or reorders.

For stateful projections: a profile change must never be applied before the registration it changes,
even when a redelivery or `duo outbox republish` puts a later version before an earlier one.

One row per (consumer, stream) in `stream_positions` holds the last version applied, written in the
transaction of the effect: it is the dedupe record and the order at once, and grows with streams, not
events. An event that arrives before its predecessor is held in `held_events`, and applied in the
transaction of that predecessor as soon as it arrives. Tables: shared/consuming/migrations/.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib import resources

import asyncpg
import structlog

from shared.consuming.batch_streams import BatchStreams, lock_streams, save_positions
from shared.consuming.idempotent import PERMANENT_ERRORS
from shared.consuming.parking import Effect, ParkingConsumer, park_event_on
from shared.events.envelope import EventEnvelope

log = structlog.get_logger("consumer")

# Work that follows the effects of many events at once (e.g. recounting what they touched), given those events.
BatchEffect = Callable[[asyncpg.Connection, Sequence[EventEnvelope]], Awaitable[None]]


def ordered_consumer_ddl() -> str:
    """DDL of the OrderedConsumer's tables (`stream_positions`, `held_events`), to apply with the service's own."""
    return resources.files("shared.consuming.migrations").joinpath("0001_stream_positions.sql").read_text()


_LOCK = "SELECT version FROM stream_positions WHERE consumer = $1 AND stream_id = $2 FOR UPDATE"
# The stream's position moved to $3 and its held version $3 + 1 taken, if any (a data-modifying WITH always runs).
_ADVANCE = """
WITH moved AS (UPDATE stream_positions SET version = $3 WHERE consumer = $1 AND stream_id = $2)
DELETE FROM held_events WHERE consumer = $1 AND stream_id = $2 AND stream_version = $3 + 1 RETURNING envelope
"""


_TAKE_HELD = "DELETE FROM held_events WHERE consumer = $1 AND stream_id = $2 AND stream_version = $3 RETURNING envelope"


class _Outcome(enum.Enum):
    APPLIED = "applied"  # the effect ran
    PASSED = "passed"  # no effect for its type: it still takes its place in the stream
    PARKED = "parked"  # its effect can never succeed as it is: the stream stays before it


class OrderedConsumer(ParkingConsumer):
    """Runs the effect registered for an event type, once per event, in stream-version order per stream.

    Same interface as IdempotentConsumer (the `Consumer` protocol, shared/consuming/consumer.py).
    Events of types without an effect still advance their stream: they are part of its order.

    `per_batch`, when given, runs once per transaction over the events whose effect ran in it (held successors
    released there included), before it commits: work that many events of a batch share is done once. An event
    handled alone (`handle`, a failed batch retried event by event, a parked event replayed) has it run with its
    effect, in its savepoint, so an error there parks that event as an error of its effect would.
    """

    def __init__(
        self, pool: asyncpg.Pool, name: str, effects: Mapping[str, Effect], per_batch: BatchEffect | None = None
    ) -> None:
        super().__init__(pool, name, effects)
        self._per_batch = per_batch

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Apply the event if it is the next of its stream, then any held successors; True when its effect ran.

        False when it was applied before, is held until its predecessor arrives, was parked, or has
        no effect here (it still advances its stream). Errors that a retry cannot cure park the event
        (the stream stays before it, so its successors are held); any other error propagates and rolls
        everything back, so the message is redelivered.
        """
        async with self._pool.acquire() as con, con.transaction():
            return await self._handle_on(con, envelope)

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> list[bool]:
        """Handle a batch in one transaction, each event as `handle` does; True for each whose effect ran now.

        Any error, of an effect or of the `per_batch` step, rolls the whole batch back and propagates: the
        subscriber then handles the batch one event at a time, where an event that can never apply is parked
        alone (as IdempotentConsumer's batches do). So an effect in a batch needs no savepoint of its own, and the
        batch's streams are locked and their positions written all at once (shared/consuming/batch_streams.py):
        a few statements a batch instead of four an event (issue 24).
        """
        ran: list[EventEnvelope] = []
        async with self._pool.acquire() as con, con.transaction():
            streams = await lock_streams(con, self.name, {envelope.stream_id for envelope in envelopes})
            applied = [await self._handle_in_batch(con, envelope, ran, streams) for envelope in envelopes]
            await save_positions(con, self.name, streams)
            if ran and self._per_batch is not None:
                await self._per_batch(con, ran)
            return applied

    async def _handle_in_batch(
        self, con: asyncpg.Connection, envelope: EventEnvelope, ran: list[EventEnvelope], streams: BatchStreams
    ) -> bool:
        """As `_handle_on`, on the batch's locked streams: their positions kept in memory until the batch ends."""
        stream_id, version = envelope.stream_id, envelope.stream_version
        last = streams.last[stream_id]
        if version <= last:
            log.debug("duplicate event ignored", event_id=str(envelope.event_id), stream_id=stream_id)
            return False
        if version > last + 1:
            await self._hold(con, envelope, last)
            streams.held.add(stream_id)
            return False
        outcome = await self._step(con, envelope, ran)  # in a batch: applied or passed, or an error fails it
        streams.applied(stream_id, version)
        if stream_id in streams.held:
            released = 0
            while (
                row := await con.fetchval(_TAKE_HELD, self.name, stream_id, streams.last[stream_id] + 1)
            ) is not None:
                await self._step(con, EventEnvelope.model_validate(row), ran)
                streams.applied(stream_id, streams.last[stream_id] + 1)
                released += 1
            if released:
                log.info(
                    "held events released",
                    consumer=self.name,
                    stream_id=stream_id,
                    count=released,
                    version=streams.last[stream_id],
                )
        return outcome is _Outcome.APPLIED

    async def _handle_on(self, con: asyncpg.Connection, envelope: EventEnvelope) -> bool:
        version = envelope.stream_version
        last = await self._lock_stream(con, envelope.stream_id)
        if version <= last:
            log.debug("duplicate event ignored", event_id=str(envelope.event_id), stream_id=envelope.stream_id)
            return False
        if version > last + 1:
            await self._hold(con, envelope, last)
            return False
        outcome = await self._step(con, envelope, None)
        if outcome is _Outcome.PARKED:
            return False
        await self._advance(con, envelope.stream_id, version)
        return outcome is _Outcome.APPLIED

    async def _lock_stream(self, con: asyncpg.Connection, stream_id: str) -> int:
        """The stream's last applied version, its row locked until the transaction ends.

        Concurrent deliveries of one stream wait here for each other: they are applied one after another.
        """
        last: int | None = await con.fetchval(_LOCK, self.name, stream_id)
        if last is None:
            # The stream's first event here: its row is made (a concurrent first delivery's insert waits for ours
            # and then does nothing), then locked. Looked for first, as most events are not a stream's first: one
            # statement instead of two (issue 24).
            await con.execute(
                "INSERT INTO stream_positions (consumer, stream_id, version) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
                self.name,
                stream_id,
            )
            last = await con.fetchval(_LOCK, self.name, stream_id)
        assert last is not None
        return last

    async def _hold(self, con: asyncpg.Connection, envelope: EventEnvelope, last: int) -> None:
        log.warning(
            "event held until its stream's earlier versions arrive",
            consumer=self.name,
            stream_id=envelope.stream_id,
            stream_version=envelope.stream_version,
            applied_version=last,
        )
        await con.execute(
            "INSERT INTO held_events (consumer, stream_id, stream_version, envelope) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING",
            self.name,
            envelope.stream_id,
            envelope.stream_version,
            envelope.model_dump(mode="json"),
        )

    async def _step(
        self, con: asyncpg.Connection, envelope: EventEnvelope, ran: list[EventEnvelope] | None
    ) -> _Outcome:
        """Run the event's effect, if any. Alone, in a savepoint with the `per_batch` step: a permanent error rolls
        both back and parks the event. In a batch (`ran` given), without one: the event joins the batch's `per_batch`
        step, and any error fails the batch (handle_batch)."""
        effect = self._effects.get(envelope.event_type)
        if effect is None:
            return _Outcome.PASSED
        if ran is not None:  # in a batch: an error fails the batch, retried event by event (handle_batch)
            await effect(con, envelope)
            ran.append(envelope)
            return _Outcome.APPLIED
        try:
            async with con.transaction():  # a savepoint: the stream's lock and earlier steps survive a failure
                await effect(con, envelope)
                if self._per_batch is not None:
                    await self._per_batch(con, [envelope])
        except PERMANENT_ERRORS as err:
            await park_event_on(con, self.name, envelope, type(err).__name__)
            return _Outcome.PARKED
        return _Outcome.APPLIED

    async def _advance(self, con: asyncpg.Connection, stream_id: str, last: int) -> None:
        """Move the stream's position to `last` (just applied), then apply its held successors in order, until one
        is missing or parked. Each move and the take of the next held version are one statement (issue 24)."""
        released = 0
        while True:
            row = await con.fetchval(_ADVANCE, self.name, stream_id, last)
            if row is None:
                break
            if await self._step(con, EventEnvelope.model_validate(row), None) is _Outcome.PARKED:
                break  # parked instead of held: the versions after it stay held, the position stays before it
            last += 1
            released += 1
        if released:
            log.info("held events released", consumer=self.name, stream_id=stream_id, count=released, version=last)

    async def replay_parked(self) -> tuple[int, int]:
        """Handle every parked event again, in stream order, once its cause is fixed; its held successors follow.

        Returns (resolved, still parked): resolved are the events whose stream is now at or past them,
        whether this replay or an earlier delivery applied them; still parked counts every parked event
        of this consumer afterwards (a successor released by this replay may have been parked in turn).
        """
        order = "envelope->>'stream_id', (envelope->>'stream_version')::int, parked_at"
        resolved, _ = await self._replay_parked(order)
        async with self._pool.acquire() as con:
            still: int = await con.fetchval("SELECT count(*) FROM parked_events WHERE consumer = $1", self.name)
        return resolved, still

    async def _applied(self, con: asyncpg.Connection, envelope: EventEnvelope) -> bool:
        # Resolved once its stream is at or past it.
        position = (
            "SELECT 1 FROM stream_positions s WHERE s.consumer = p.consumer AND s.stream_id = $3 AND s.version >= $4"
        )
        return await self._unpark_if(con, envelope, position, envelope.stream_id, envelope.stream_version)

    async def held_count(self) -> int:
        """How many events wait for a predecessor; normally 0, growing when a stream's earlier version is lost."""
        async with self._pool.acquire() as con:
            count: int = await con.fetchval("SELECT count(*) FROM held_events WHERE consumer = $1", self.name)
        return count
