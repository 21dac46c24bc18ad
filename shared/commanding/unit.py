"""The unit of work of one command: load a record, append its new events, all in one transaction.

Talks to the event store only through its protocol (shared.eventstore.base), so that a
service's handlers run the same on PostgreSQL and on the in-memory store of unit tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.commanding.aggregate import Aggregate, Versioned
from shared.commanding.caller import Caller
from shared.commanding.errors import NotFound
from shared.events.envelope import DomainEvent, EventEnvelope, NewEvent
from shared.eventstore.base import EventStore, Tx, WrongExpectedVersion

S = TypeVar("S", bound=Versioned)


@dataclass(frozen=True)
class Unit(Generic[Tx]):
    """The transaction a command runs in (`tx`: an asyncpg connection on PostgreSQL) and the store it appends to."""

    tx: Tx
    store: EventStore[Tx]


async def load(unit: Unit[Tx], aggregate: Aggregate[S], record_id: uuid.UUID, caller: Caller) -> S:
    """A record of the caller's branch as it is now; version 0 when the branch has none with this id."""
    return aggregate.fold(await unit.store.read_stream_in(unit.tx, aggregate.stream(record_id), caller.tenant))


async def load_existing(unit: Unit[Tx], aggregate: Aggregate[S], record_id: uuid.UUID, caller: Caller) -> S:
    """A record of the caller's branch as it is now; NotFound when the branch has none with this id."""
    state = await load(unit, aggregate, record_id, caller)
    # A record at an office the caller may not reach is "not found": its existence must not leak.
    if state.version == 0 or not caller.may_reach(getattr(state, "office", None)):
        raise NotFound(aggregate.kind)
    return state


async def append(
    unit: Unit[Tx], stream_id: str, version: int, office: str, events: Sequence[DomainEvent], caller: Caller
) -> list[EventEnvelope]:
    """Append after `version` (the state the decision saw); WrongExpectedVersion if If-Match named another."""
    if caller.expected_version is not None and caller.expected_version != version:
        raise WrongExpectedVersion(stream_id, caller.expected_version, version)
    if not events:
        return []
    meta = caller.metadata(office)
    return await unit.store.append_in(unit.tx, stream_id, version, [NewEvent(e, meta) for e in events])


async def record(
    unit: Unit[Tx],
    aggregate: Aggregate[S],
    state: S,
    record_id: uuid.UUID,
    office: str,
    events: Sequence[DomainEvent],
    caller: Caller,
) -> S:
    """Append a decision's events to a record's stream and return the state they lead to."""
    recorded = await append(unit, aggregate.stream(record_id), state.version, office, events, caller)
    return aggregate.fold(recorded, state)
