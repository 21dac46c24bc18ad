"""An in-memory event store for unit tests; the contract suite proves it behaves like PostgreSQL's."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from shared.clock import utc_now
from shared.events.envelope import EventEnvelope, NewEvent
from shared.eventstore.base import DuplicateEventId, StreamAppend, WrongExpectedVersion
from shared.tenancy import Tenant


@dataclass
class MemoryTransaction:
    """Events appended inside one transaction, visible to it alone until it commits."""

    pending: dict[str, list[EventEnvelope]] = field(default_factory=dict)
    undone_on_conflict: bool = False  # EventStore.transaction's promise: a conflict must leave the block
    conflicted: bool = False  # an append's conflict happened in it


class InMemoryEventStore:
    """Streams in a dict. A transaction's appends become visible together at its commit, where a
    concurrent commit of the same stream version makes it fail, as the database's unique key would."""

    def __init__(self) -> None:
        self._streams: dict[str, list[EventEnvelope]] = {}
        self._all: list[EventEnvelope] = []
        self._ids: set[uuid.UUID] = set()
        self._positions = itertools.count(1)  # like an identity column: a rolled-back append leaves a gap
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self, *, undone_on_conflict: bool = False) -> AsyncIterator[MemoryTransaction]:
        tx = MemoryTransaction(undone_on_conflict=undone_on_conflict)
        yield tx  # an exception here discards the pending events: a rollback
        if tx.undone_on_conflict and tx.conflicted:  # as PostgreSQL's store, which may hold half a batch then
            raise RuntimeError("an append's conflict was caught in a transaction it must undo: rolled back")
        async with self._lock:
            for stream_id, events in tx.pending.items():
                committed = len(self._streams.get(stream_id, []))
                if committed != events[0].stream_version - 1:
                    raise WrongExpectedVersion(stream_id, events[0].stream_version - 1, committed)
                if any(e.event_id in self._ids for e in events):
                    raise DuplicateEventId(stream_id)
            for stream_id, events in tx.pending.items():
                self._streams.setdefault(stream_id, []).extend(events)
                self._all.extend(events)
                self._ids.update(e.event_id for e in events)

    async def read_stream_in(self, tx: MemoryTransaction, stream_id: str, tenant: Tenant) -> list[EventEnvelope]:
        events = self._streams.get(stream_id, []) + tx.pending.get(stream_id, [])
        return [e for e in events if e.tenant == tenant]

    async def append_in(
        self, tx: MemoryTransaction, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        current = len(self._streams.get(stream_id, [])) + len(tx.pending.get(stream_id, []))
        if current != expected_version:
            tx.conflicted = True
            raise WrongExpectedVersion(stream_id, expected_version, current)
        pending_ids = {e.event_id for stream in tx.pending.values() for e in stream}
        ids = [new.event_id for new in events]
        if len(set(ids)) < len(ids) or any(i in self._ids or i in pending_ids for i in ids):
            tx.conflicted = True
            raise DuplicateEventId(stream_id)
        now = utc_now()
        recorded = [
            EventEnvelope.record(new, stream_id, expected_version + offset, now).model_copy(
                update={"global_position": next(self._positions)}
            )
            for offset, new in enumerate(events, start=1)
        ]
        if recorded:
            tx.pending.setdefault(stream_id, []).extend(recorded)
        return recorded

    async def append_streams_in(
        self, tx: MemoryTransaction, appends: Sequence[StreamAppend]
    ) -> list[list[EventEnvelope]]:
        before = {stream_id: list(events) for stream_id, events in tx.pending.items()}
        try:
            return [await self.append_in(tx, a.stream_id, a.expected_version, a.events) for a in appends]
        except (WrongExpectedVersion, DuplicateEventId):
            tx.pending = before  # all or none: the parts before the conflict are undone too
            raise

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[EventEnvelope]:
        async with self.transaction() as tx:
            return await self.append_in(tx, stream_id, expected_version, events)

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        return list(self._streams.get(stream_id, []))

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        later = sorted(
            (e for e in self._all if (e.global_position or 0) > after_position), key=lambda e: e.global_position or 0
        )
        return later[:limit]
