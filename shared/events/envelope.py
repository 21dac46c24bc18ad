"""The envelope every fact travels in: the event's data plus what is needed to audit and route it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.clock import utc_now
from shared.events.event import DomainEvent
from shared.events.registry import EVENT_REGISTRY
from shared.tenancy import Tenant


class EventMetadata(BaseModel):
    """Who did what, where, and because of what: the envelope fields a command supplies."""

    model_config = ConfigDict(frozen=True)

    tenant: Tenant
    office: str
    actor: str
    correlation_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None
    occurred_at: AwareDatetime = Field(default_factory=utc_now)  # RFC 3339 on the wire needs an offset


@dataclass(frozen=True)
class NewEvent:
    """An event a decision produced, not yet appended to a stream."""

    event: DomainEvent
    metadata: EventMetadata
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


class EventEnvelope(BaseModel):
    """A recorded fact: the event's data plus everything needed to audit and route it."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    stream_id: str
    stream_version: int = Field(ge=1)
    tenant: Tenant
    office: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    data: dict[str, Any]
    # Position in the producing service's store; absent once read back from Kafka.
    global_position: int | None = None
    # The store's hash chain at this event (shared/eventstore/chain.py), set when the relay publishes it.
    chain_hash: str | None = None

    @classmethod
    def record(cls, new: NewEvent, stream_id: str, stream_version: int, recorded_at: datetime) -> EventEnvelope:
        """Stamp a new event with its place in a stream and the time it was recorded."""
        meta = new.metadata
        return cls(
            event_id=new.event_id,
            event_type=new.event.event_type,
            schema_version=new.event.schema_version,
            stream_id=stream_id,
            stream_version=stream_version,
            tenant=meta.tenant,
            office=meta.office,
            occurred_at=meta.occurred_at,
            recorded_at=recorded_at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
            causation_id=meta.causation_id,
            data=new.event.model_dump(mode="json"),
        )

    def payload(self) -> DomainEvent:
        """The typed domain event, upcast to the current schema version."""
        return EVENT_REGISTRY.load(self.event_type, self.schema_version, self.data)


__all__ = ["DomainEvent", "EventEnvelope", "EventMetadata", "NewEvent"]
