"""Event envelope, the catalog of domain events, and their wire format."""

# Imported here so that every user of EVENT_REGISTRY finds every event model in it.
from shared.events import catalog
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.events.registry import EVENT_REGISTRY, UnknownEventType

__all__ = ["DomainEvent", "EventEnvelope", "EventMetadata", "NewEvent", "EVENT_REGISTRY", "UnknownEventType", "catalog"]
