"""What every event store promises; one contract test suite checks each implementation."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from shared.events.envelope import EventEnvelope, NewEvent
from shared.tenancy import Tenant

NO_STREAM = 0  # expected version of a stream that does not exist yet


class WrongExpectedVersion(Exception):
    """Another writer appended to the stream first: the caller decided on stale state."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, "
            f"found {actual if actual is not None else 'a concurrent write'}"
        )


class DuplicateEventId(Exception):
    """An event with this id is already stored: the same fact offered twice, retrying cannot help."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        super().__init__(f"stream {stream_id!r}: an event with the same id is already stored")


@dataclass(frozen=True)
class StreamAppend:
    """Events to append to one stream after `expected_version`: one part of `EventStore.append_streams_in`."""

    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]


# A store's transaction: an asyncpg connection on PostgreSQL, a MemoryTransaction in memory. What a service's
# handlers get from `transaction()` they give back to the same store, so the two are typed together.
Tx = TypeVar("Tx")


class EventStore(Protocol[Tx]):
    """An append-only log of streams, each with consecutive versions from 1.

    What a service's command handlers call is the first four methods: a transaction the
    caller owns, and a tenant-scoped read and appends inside it (so the appends commit
    with whatever else the command writes, such as a read model). The last three are for
    tools and tests: each runs in a transaction of its own.
    """

    def transaction(self, *, undone_on_conflict: bool = False) -> AbstractAsyncContextManager[Tx]:
        """A transaction to read and append in; it commits when the block ends without an error.

        `undone_on_conflict`: the caller lets an append's conflict (WrongExpectedVersion, DuplicateEventId) leave
        the block, so the whole transaction is rolled back (a command's attempt, shared/commanding/http.py): an
        append of several events may then skip its own savepoint, and the transaction refuses to commit if such a
        conflict was caught inside it."""
        ...

    async def read_stream_in(self, tx: Tx, stream_id: str, tenant: Tenant) -> list[EventEnvelope]:
        """A stream's events in version order, as seen inside `tx`; empty if it belongs to another branch."""
        ...

    async def append_in(
        self, tx: Tx, stream_id: str, expected_version: int, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Append events after `expected_version` (0 for a new stream) inside `tx`, all or none of them;
        WrongExpectedVersion if another writer owns that version, DuplicateEventId if an event is stored."""
        ...

    async def append_streams_in(self, tx: Tx, appends: Sequence[StreamAppend]) -> list[list[EventEnvelope]]:
        """Several `append_in`s inside `tx` at once, all or none of them (one statement on PostgreSQL): each part's
        recorded events, in the parts' order. A stream may have several parts, each after the one before it (its
        expected version is the previous part's last); a conflict raises as `append_in` would for the first
        part it concerns."""
        ...

    async def append(self, stream_id: str, expected_version: int, events: Sequence[NewEvent]) -> list[EventEnvelope]:
        """`append_in` in a transaction of its own."""
        ...

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        """Every event of one stream in version order, whatever its branch; empty if the stream does not exist."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[EventEnvelope]:
        """Committed events with a global position above `after_position`, in position order."""
        ...
