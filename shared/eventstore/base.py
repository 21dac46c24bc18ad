"""What every event store promises; one contract test suite checks each implementation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.events.envelope import EventEnvelope, NewEvent

NO_STREAM = 0  # expected version of a stream that does not exist yet


class WrongExpectedVersion(Exception):
    """Another writer appended to the stream first: the caller decided on stale state."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        super().__init__(f"stream {stream_id!r}: expected version {expected}, found {actual if actual is not None else 'a concurrent write'}")


class DuplicateEventId(Exception):
    """An event with this id is already stored: the same fact offered twice, retrying cannot help."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(f"stream {stream_id!r}: an event with the same id is already stored")


class StreamNotFound(LookupError):
    """No event has been appended to this stream."""


class EventStore(Protocol):
    """An append-only log of streams, each with consecutive versions from 1."""

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[EventEnvelope]:
        """Append events after `expected_version` (0 for a new stream) or raise WrongExpectedVersion."""
        ...

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        """Every event of one stream in version order; empty if the stream does not exist."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        """Committed events with a global position above `after_position`, in position order."""
        ...
