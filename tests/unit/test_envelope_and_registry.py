"""The envelope and the catalog's registry: stamping, typing, upcasting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pydantic
import pytest

from shared.events import EVENT_REGISTRY
from shared.events.catalog import (
    DuoFormed,
    JobFound,
    MeetingLogged,
    MenteeRegistered,
    MentorRegistered,
)
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.events.registry import EventRegistry, UnknownEventType
from shared.tenancy import Tenant


def test_recording_stamps_stream_place_and_time():
    meta = EventMetadata(tenant=Tenant.BE, office="be-aalst", actor="coordinator")
    new = NewEvent(MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="C"), meta)
    at = datetime(2026, 1, 2, tzinfo=UTC)
    envelope = EventEnvelope.record(new, "mentee-1", 3, at)
    assert (envelope.event_id, envelope.event_type, envelope.schema_version) == (new.event_id, "MenteeRegistered", 1)
    assert (envelope.stream_id, envelope.stream_version, envelope.recorded_at) == ("mentee-1", 3, at)
    assert (envelope.tenant, envelope.office, envelope.actor) == (Tenant.BE, "be-aalst", "coordinator")
    assert envelope.correlation_id == meta.correlation_id and envelope.causation_id is None
    assert envelope.payload() == new.event


def test_events_and_envelopes_are_frozen():
    event = MenteeRegistered(mentee_id=uuid.uuid4())
    with pytest.raises(pydantic.ValidationError):
        event.mentee_id = uuid.uuid4()


def test_the_product_events_are_in_the_catalog():
    for model in (MenteeRegistered, MentorRegistered, DuoFormed, MeetingLogged, JobFound):
        assert EVENT_REGISTRY.model(model.__name__) is model


def test_old_schema_versions_are_upcast_when_read():
    registry = EventRegistry()

    @registry.register
    class MeetingPlanned(DomainEvent):
        schema_version = 3
        minutes: int
        mode: str

    registry.upcaster("MeetingPlanned", 1)(lambda d: {"minutes": d["hours"] * 60})
    registry.upcaster("MeetingPlanned", 2)(lambda d: {**d, "mode": "in_person"})
    assert registry.load("MeetingPlanned", 1, {"hours": 2}) == MeetingPlanned(minutes=120, mode="in_person")
    online = registry.load("MeetingPlanned", 3, {"minutes": 5, "mode": "online"})
    assert isinstance(online, MeetingPlanned) and online.mode == "online"


def test_a_missing_upcaster_or_unknown_type_is_an_error():
    registry = EventRegistry()

    @registry.register
    class Thing(DomainEvent):
        schema_version = 2

    with pytest.raises(UnknownEventType):
        registry.load("Thing", 1, {})
    with pytest.raises(UnknownEventType):
        registry.load("Nothing", 1, {})


def test_a_type_name_cannot_be_registered_twice():
    registry = EventRegistry()

    class Once(DomainEvent):
        pass

    class Twice(DomainEvent):
        event_type = "Once"

    registry.register(Once)
    with pytest.raises(ValueError):
        registry.register(Twice)
