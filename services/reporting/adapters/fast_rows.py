"""A ledger row straight from a Kafka record, for the rebuild's replay: the fast path of a common case.

The careful path (`admit`, then `ledger_row`) validates the CloudEvents envelope as a pydantic model, parses the
JSON body into Python objects, validates the payload from them and serialises them again for COPY: about 34 us
of CPU per event, most of the replay's cost (docs/performance.md). Here, for a record of the current schema
version from the topic's own producer, the headers are read as they are, the payload is validated by pydantic
straight from the JSON bytes (parsed in Rust), and the body goes to the ledger as the text it already is.

Anything unusual (another schema version, a header missing or malformed, an unknown type, office or origin, a
signature that does not verify: shared/events/signing.py) returns None, and the caller takes the careful path,
which decides exactly as the live consumer does. So this path only ever accepts what the careful one would
accept, with the same row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime

from aiokafka import ConsumerRecord
from pydantic import TypeAdapter

from shared.events.registry import EVENT_REGISTRY
from shared.events.signing import Verifies
from shared.events.wire import SPEC_VERSION, source_of
from shared.tenancy import OFFICES, Tenant

_SPEC = SPEC_VERSION.encode()
_MODELS = EVENT_REGISTRY.models()
_TENANTS = {t.value for t in Tenant}
_DATETIME = TypeAdapter(datetime)
# An id as the relay writes it. It goes to COPY as text (asyncpg parses it in C, faster than uuid.UUID); any
# other spelling, which pydantic would accept and normalise, takes the careful path.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def fast_row(
    record: ConsumerRecord, producers: Mapping[str, str], keyring: Verifies, hosted: AbstractSet[str] = _TENANTS
) -> tuple | None:
    """The ledger row (LEDGER_COLUMNS order; ids and the data as text) of a plain record; None for the careful way
    (which refuses a branch outside `hosted`, the region's: shared/regions.py)."""
    try:
        # Every header decoded, as `from_kafka` does: one that is not UTF-8 (or has no value) is for the careful path.
        h = {key: raw.decode() for key, raw in record.headers or ()}
        if h.get("ce_specversion") != SPEC_VERSION or record.value is None:
            return None
        event_type = h["ce_type"]
        model = _MODELS.get(event_type)
        schema_version, stream_version = _count(h["ce_schemaversion"]), _count(h["ce_streamversion"])
        if model is None or schema_version != model.schema_version or stream_version < 1:
            return None
        producer = producers.get(record.topic)
        if producer is None or h.get("ce_source") != source_of(producer):
            return None
        tenant, office = h["ce_tenant"], h["ce_office"]
        if tenant not in hosted or office not in OFFICES or OFFICES[office][0] != tenant:
            return None
        event_id, correlation_id, causation_id = h["ce_id"], h["ce_correlationid"], h.get("ce_causationid")
        if not all(CANONICAL_UUID.match(i) for i in (event_id, correlation_id, causation_id) if i is not None):
            return None
        if keyring.refusal(record.topic, h, record.value, producers) is not None:
            return None  # not vouched for by its producer: the careful path refuses it too
        model.model_validate_json(record.value)  # the payload fits the catalog, or the careful path says why not
        return (
            event_id,
            h["ce_subject"],
            stream_version,
            event_type,
            schema_version,
            tenant,
            office,
            datetime.fromisoformat(h["ce_time"]),  # as `from_kafka` reads it
            _DATETIME.validate_python(h["ce_recordedtime"]),  # as the envelope model reads it
            h["ce_actor"],
            correlation_id,
            causation_id,
            record.value.decode(),
        )
    except Exception:  # anything at all: the careful path decides, exactly as the live consumer does
        return None


def _count(text: str) -> int:
    """A version number of plain ASCII digits; anything else (signs, spaces, underscores) goes the careful way."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)
