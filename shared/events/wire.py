"""The Kafka wire format: CloudEvents Kafka protocol binding, binary content mode.

Envelope attributes travel as `ce_*` headers and the event data as a JSON body,
keyed by stream id, so that any Kafka tool can read the log. Extension attribute
names are lower-case alphanumerics, as CloudEvents requires.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from shared.events.envelope import EventEnvelope

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# Envelope field -> CloudEvents extension attribute name.
_EXTENSIONS = {
    "schema_version": "schemaversion",
    "stream_version": "streamversion",
    "tenant": "tenant",
    "office": "office",
    "recorded_at": "recordedtime",
    "actor": "actor",
    "correlation_id": "correlationid",
    "causation_id": "causationid",
    "chain_hash": "chainhash",
}


class MalformedMessage(ValueError):
    """A Kafka message that is not a DUO CloudEvent."""


def source_of(service: str) -> str:
    """The CloudEvents `source` of a producing service."""
    return f"/duo/{service}"


def to_kafka(envelope: EventEnvelope, service: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers for one envelope."""
    attributes: dict[str, str] = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(envelope.event_id),
        "ce_type": envelope.event_type,
        "ce_source": source_of(service),
        "ce_subject": envelope.stream_id,
        "ce_time": envelope.occurred_at.isoformat(),
        "content-type": CONTENT_TYPE,
    }
    for field, name in _EXTENSIONS.items():
        value = getattr(envelope, field)
        if value is None:
            continue
        attributes[f"ce_{name}"] = value.isoformat() if isinstance(value, datetime) else str(value)
    headers = [(key, value.encode()) for key, value in attributes.items()]
    body = json.dumps(envelope.data, separators=(",", ":"), sort_keys=True).encode()
    return envelope.stream_id.encode(), body, headers


def from_kafka(value: bytes, headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes | str]) -> EventEnvelope:
    """Rebuild an envelope from a CloudEvents binary-mode message."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in items}
    try:
        if attrs["ce_specversion"] != SPEC_VERSION:
            raise MalformedMessage(f"unsupported CloudEvents specversion {attrs['ce_specversion']!r}")
        fields: dict[str, Any] = {field: attrs.get(f"ce_{name}") for field, name in _EXTENSIONS.items()}
        return EventEnvelope(
            event_id=uuid.UUID(attrs["ce_id"]),
            event_type=attrs["ce_type"],
            stream_id=attrs["ce_subject"],
            occurred_at=datetime.fromisoformat(attrs["ce_time"]),
            data=json.loads(value),
            **fields,
        )
    except (KeyError, ValueError, TypeError) as err:  # TypeError: a record without a value
        raise MalformedMessage(f"not a DUO CloudEvent: {err}") from err
