"""An in-memory event store for unit tests; the contract suite proves it behaves like PostgreSQL's."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.events.envelope import EventEnvelope, NewEvent, utc_now
from shared.eventstore.base import DuplicateEventId, WrongExpectedVersion


class InMemoryEventStore:
    """Streams in a dict, guarded by one lock so concurrent appends behave as in the database."""

    def __init__(self) -> None:
        self._streams: dict[str, list[EventEnvelope]] = {}
        self._all: list[EventEnvelope] = []
        self._ids: set = set()
        self._lock = asyncio.Lock()

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[EventEnvelope]:
        async with self._lock:
            stream = self._streams.get(stream_id, [])
            if len(stream) != expected_version:
                raise WrongExpectedVersion(stream_id, expected_version, len(stream))
            if any(new.event_id in self._ids for new in events):
                raise DuplicateEventId(stream_id)
            now = utc_now()
            recorded = []
            for offset, new in enumerate(events, start=1):
                envelope = EventEnvelope.record(new, stream_id, expected_version + offset, now)
                envelope = envelope.model_copy(update={"global_position": len(self._all) + 1})
                self._all.append(envelope)
                self._ids.add(new.event_id)
                recorded.append(envelope)
            self._streams[stream_id] = stream + recorded
            return recorded

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        return list(self._streams.get(stream_id, []))

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        return self._all[after_position : after_position + limit]
