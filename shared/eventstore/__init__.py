"""Append-only event stores with optimistic concurrency: in memory and on PostgreSQL."""

from shared.eventstore.base import (
    DuplicateEventId,
    EventStore,
    WrongExpectedVersion,
)
from shared.eventstore.memory import InMemoryEventStore

__all__ = ["DuplicateEventId", "EventStore", "InMemoryEventStore", "WrongExpectedVersion"]
