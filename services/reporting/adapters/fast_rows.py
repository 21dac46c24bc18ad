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

import re
from collections.abc import Mapping
from datetime import datetime

import pydantic
from aiokafka import ConsumerRecord

from shared.events.registry import EVENT_REGISTRY
from shared.events.wire import SPEC_VERSION, source_of
from shared.tenancy import OFFICES, Tenant

_SPEC = SPEC_VERSION.encode()
_MODELS = EVENT_REGISTRY.models()
_TENANTS = {t.value for t in Tenant}
# An id as the relay writes it. It goes to COPY as text (asyncpg parses it in C, faster than uuid.UUID); any
# other spelling, which pydantic would accept and normalise, takes the careful path.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def fast_row(record: ConsumerRecord, producers: Mapping[str, str]) -> tuple | None:
    """The ledger row (LEDGER_COLUMNS order; ids and the data as text) of a plain record; None for the careful way."""
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
        tenant, office = h["ce_tenant"].decode(), h["ce_office"].decode()
        if tenant not in _TENANTS or office not in OFFICES or OFFICES[office][0] != tenant:
            return None
        stream_version = int(h["ce_streamversion"])
        if stream_version < 1 or record.value is None:
            return None
        event_id, correlation_id = h["ce_id"].decode(), h["ce_correlationid"].decode()
        causation = h.get("ce_causationid")
        causation_id = causation.decode() if causation is not None else None
        for an_id in (event_id, correlation_id, causation_id):
            if an_id is not None and not _CANONICAL_UUID.match(an_id):
                return None
        model.model_validate_json(record.value)  # the payload fits the catalog, or the careful path says why not
        return (
            event_id,
            h["ce_subject"].decode(),
            stream_version,
            event_type,
            schema_version,
            tenant,
            office,
            datetime.fromisoformat(h["ce_time"].decode()),
            datetime.fromisoformat(h["ce_recordedtime"].decode()),
            h["ce_actor"].decode(),
            correlation_id,
            causation_id,
            record.value.decode(),
        )
    except (KeyError, ValueError, UnicodeDecodeError, pydantic.ValidationError):
        return None
