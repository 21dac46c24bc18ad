"""The CloudEvents binary-mode mapping of an envelope, both ways."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.clock import utc_now
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.wire import MalformedMessage, from_kafka, to_kafka
from shared.tenancy import Tenant


def envelope() -> EventEnvelope:
    meta = EventMetadata(tenant=Tenant.FR, office="fr-paris", actor="c", causation_id=uuid.uuid4())
    event = MenteeRegistered(mentee_id=uuid.uuid4(), languages=("fr",))
    return EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 2, utc_now())


def test_round_trip_keeps_every_envelope_field():
    original = envelope()
    key, value, headers = to_kafka(original, "intake")
    assert key == original.stream_id.encode()
    assert json.loads(value) == original.data
    assert from_kafka(value, headers) == original


def test_headers_follow_the_cloudevents_kafka_binding():
    _, _, headers = to_kafka(envelope(), "intake")
    names = [name for name, _ in headers]
    for required in ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_subject", "ce_time", "content-type"):
        assert required in names
    # CloudEvents extension names: lower-case letters and digits only.
    assert all(name[3:].isalnum() and name[3:].islower() for name in names if name.startswith("ce_"))


def test_a_message_without_cloudevents_headers_is_rejected():
    with pytest.raises(MalformedMessage):
        from_kafka(b"{}", [("ce_id", b"x")])
    _, value, headers = to_kafka(envelope(), "intake")
    wrong_version = [(k, b"0.3" if k == "ce_specversion" else v) for k, v in headers]
    with pytest.raises(MalformedMessage):
        from_kafka(value, wrong_version)
