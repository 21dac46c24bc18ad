"""The machine-readable catalog under docs/events/ is complete and never stale."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from shared.clock import utc_now
from shared.events import EVENT_REGISTRY
from shared.events.asyncapi import asyncapi_document
from shared.events.catalog import PRODUCERS, MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.schemas import catalog_schemas
from shared.events.wire import to_kafka
from shared.tenancy import Tenant
from tests.unit.signing_keys import signing_key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"
REGENERATE = (
    "regenerate with `duo events schema > docs/events/catalog.schema.json` and "
    "`duo events asyncapi > docs/events/asyncapi.json`"
)


def test_every_event_has_exactly_one_producer():
    produced = [model.event_type for models in PRODUCERS.values() for model in models]
    assert sorted(produced) == sorted(EVENT_REGISTRY.models())


def test_committed_json_schemas_match_the_catalog():
    assert json.loads((DOCS / "catalog.schema.json").read_text()) == catalog_schemas(), REGENERATE


def test_committed_asyncapi_matches_the_catalog():
    document = asyncapi_document()
    assert json.loads((DOCS / "asyncapi.json").read_text()) == document, REGENERATE
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == {"duo.intake.events", "duo.matching.events", "duo.tracking.events"}
    assert "MenteeRegistered" in document["components"]["schemas"]


def test_the_asyncapi_document_says_what_really_travels_one_message_per_event_type_in_a_stable_order():
    document = asyncapi_document()
    assert list(document["channels"]) == sorted(document["channels"])
    for topic, channel in document["channels"].items():
        producer = topic.split(".")[1]
        assert list(channel["messages"]) == sorted(m.event_type for m in PRODUCERS[producer])
    messages = document["components"]["messages"]
    assert sorted(messages) == sorted(EVENT_REGISTRY.models())
    # What the relay really sends: the correlation id header, every header in the schema, the stream id as key.
    envelope = EventEnvelope.record(
        NewEvent(
            MenteeRegistered(mentee_id=uuid.uuid4()), EventMetadata(tenant=Tenant.BE, office="be-gent", actor="t")
        ),
        "mentee-1",
        1,
        utc_now(),
    )
    key, value, headers = to_kafka(envelope, "intake")
    headers = signing_key("intake").sign(headers, value)  # as the relay sends it
    [location] = {m["correlationId"]["$ref"] for m in messages.values()}
    correlation = document["components"]["correlationIds"][location.rsplit("/", 1)[1]]
    assert correlation["location"] == "$message.header#/ce_correlationid"
    assert dict(headers)["ce_correlationid"] == str(envelope.correlation_id).encode()
    header_schema = document["components"]["schemas"]["CloudEventHeaders"]
    assert {name for name, _ in headers} <= set(header_schema["properties"])
    assert set(header_schema["required"]) <= {name for name, _ in headers}
    assert key == b"mentee-1" and messages["MenteeRegistered"]["bindings"]["kafka"]["key"]["type"] == "string"
    assert json.dumps(asyncapi_document()) == json.dumps(document)  # the same bytes each time
