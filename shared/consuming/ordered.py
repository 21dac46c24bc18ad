"""Applying each stream's events in stream-version order, exactly once, whatever Kafka redelivers or reorders.

For stateful projections: a profile change must never be applied before the registration it changes,
even when a redelivery or `duo outbox republish` puts a later version before an earlier one.

One row per (consumer, stream) in `stream_positions` holds the last version applied, written in the
transaction of the effect: it is the dedupe record and the order at once, and grows with streams, not
events. An event that arrives before its predecessor is held in `held_events`, and applied in the
transaction of that predecessor as soon as it arrives. Tables: shared/consuming/migrations/.

A consumer may take the events of some producers alone instead (`alone_from`, docs/adr/0036): of such a producer it
reads only the types it has an effect for, and applies each once, whatever came before it in its stream.
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
from shared.events.catalog import PRODUCERS
from shared.events.envelope import EventEnvelope

log = structlog.get_logger("consumer")

# Work that follows the effects of many events at once (e.g. recounting what they touched), given those events.
BatchEffect = Callable[[asyncpg.Connection, Sequence[EventEnvelope]], Awaitable[None]]
# The service that publishes each event type of the catalog (its topic's producer).
_PRODUCER_OF = {event.event_type: producer for producer, events in PRODUCERS.items() for event in events}


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

    `alone_from`: producers whose events this consumer takes alone, outside their streams' order (docs/adr/0036).
    Of such a producer, an event of a type without an effect here is passed over unread (`passes_over`): never
    decoded, verified, parked, held nor positioned. One of a type with an effect is applied once, when its version is
    above its stream's position (which then moves to it), never held for a predecessor it cannot see. Only for
    producers each of whose streams carries at most one event this consumer applies (tracking's `DuoEnded`, for
    matching): two such events of one stream could otherwise be applied in either order, or one dropped.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        name: str,
        effects: Mapping[str, Effect],
        per_batch: BatchEffect | None = None,
        alone_from: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(pool, name, effects)
        self._per_batch = per_batch
        self._alone_from = alone_from
        self._alone = frozenset(t for t in self._effects if _PRODUCER_OF.get(t) in alone_from)

    def passes_over(self, producer: str | None, event_type: str | None) -> bool:
        """An event of a producer this consumer takes alone, of a type it has no effect for (docs/adr/0036)."""
        return producer in self._alone_from and event_type not in self._effects

    def _passed_over(self, envelope: EventEnvelope) -> bool:
        return self.passes_over(_PRODUCER_OF.get(envelope.event_type), envelope.event_type)

    def _waits_for_predecessor(self, envelope: EventEnvelope, last: int) -> bool:
        """Whether the event comes before its stream's next: held until that arrives, unless taken alone."""
        return envelope.stream_version > last + 1 and envelope.event_type not in self._alone

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Apply the event if it is the next of its stream, then any held successors; True when its effect ran.

        False when it was applied before, is held until its predecessor arrives, was parked, or has
        no effect here (it still advances its stream). Errors that a retry cannot cure park the event
        (the stream stays before it, so its successors are held); any other error propagates and rolls
        everything back, so the message is redelivered.
        """
        if self._passed_over(envelope):
            return False
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
        taken = {envelope.stream_id for envelope in envelopes if not self._passed_over(envelope)}
        if not taken:
            return [False] * len(envelopes)
        async with self._pool.acquire() as con, con.transaction():
            streams = await lock_streams(con, self.name, taken)
            applied = [await self._handle_in_batch(con, envelope, ran, streams) for envelope in envelopes]
            await save_positions(con, self.name, streams)
            if ran and self._per_batch is not None:
                await self._per_batch(con, ran)
            return applied

    async def _handle_in_batch(
        self, con: asyncpg.Connection, envelope: EventEnvelope, ran: list[EventEnvelope], streams: BatchStreams
    ) -> bool:
        """As `_handle_on`, on the batch's locked streams: their positions kept in memory until the batch ends."""
        if self._passed_over(envelope):
            return False
        stream_id, version = envelope.stream_id, envelope.stream_version
        last = streams.last[stream_id]
        if version <= last:
            log.debug("duplicate event ignored", event_id=str(envelope.event_id), stream_id=stream_id)
            return False
        if self._waits_for_predecessor(envelope, last):
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
        if self._waits_for_predecessor(envelope, last):
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
