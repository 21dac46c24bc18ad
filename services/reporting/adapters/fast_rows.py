"""A ledger row straight from a Kafka record, for the rebuild's replay: the fast path of a common case.

The careful path (`admit`, then `ledger_row`) validates the CloudEvents envelope as a pydantic model, parses the
JSON body into Python objects, validates the payload from them and serialises them again for COPY: about 34 us
of CPU per event, most of the replay's cost (docs/performance.md). Here, for a record of the current schema
version from the topic's own producer, the headers are read as they are, the payload is validated by pydantic
straight from the JSON bytes (parsed in Rust), and the body goes to the ledger as the text it already is.

Anything unusual (another schema version, a header missing or malformed, an unknown type, office or origin)
returns None, and the caller takes the careful path, which decides exactly as the live consumer does. So this
path only ever accepts what the careful one would accept, with the same row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import pydantic
from aiokafka import ConsumerRecord

from shared.events.registry import EVENT_REGISTRY
from shared.events.wire import SPEC_VERSION, source_of
from shared.tenancy import OFFICES, Tenant

_SPEC = SPEC_VERSION.encode()
_MODELS = EVENT_REGISTRY.models()


def fast_row(record: ConsumerRecord, producers: Mapping[str, str]) -> tuple | None:
    """The ledger row (LEDGER_COLUMNS order, the data as JSON text) of a plain record; None to go the careful way."""
    try:
        h = dict(record.headers or ())
        if h.get("ce_specversion") != _SPEC:
            return None
        event_type = h["ce_type"].decode()
        model = _MODELS.get(event_type)
        schema_version = int(h["ce_schemaversion"])
        if model is None or schema_version != model.schema_version:
            return None
        producer = producers.get(record.topic)
        if producer is None or h["ce_source"].decode() != source_of(producer):
            return None
        tenant, office = Tenant(h["ce_tenant"].decode()), h["ce_office"].decode()
        if office not in OFFICES or OFFICES[office][0] != tenant:
            return None
        stream_version = int(h["ce_streamversion"])
        if stream_version < 1 or record.value is None:
            return None
        model.model_validate_json(record.value)  # the payload fits the catalog, or the careful path says why not
        causation = h.get("ce_causationid")
        return (
            uuid.UUID(h["ce_id"].decode()),
            h["ce_subject"].decode(),
            stream_version,
            event_type,
            schema_version,
            tenant.value,
            office,
            datetime.fromisoformat(h["ce_time"].decode()),
            datetime.fromisoformat(h["ce_recordedtime"].decode()),
            h["ce_actor"].decode(),
            uuid.UUID(h["ce_correlationid"].decode()),
            uuid.UUID(causation.decode()) if causation is not None else None,
            record.value.decode(),
        )
    except (KeyError, ValueError, UnicodeDecodeError, pydantic.ValidationError):
        return None
