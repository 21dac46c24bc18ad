"""The catalog as machine-readable JSON Schema (draft 2020-12), one document per event type."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.events import EVENT_REGISTRY  # the package registers the whole catalog
from shared.events.registry import EventRegistry

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(model: type[BaseModel], event_type: str, schema_version: int) -> dict[str, Any]:
    """The JSON Schema of one event's data (the Kafka message body), with its type and version."""
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:duo:event:{event_type}:v{schema_version}",
        "x-event-type": event_type,
        "x-schema-version": schema_version,
        **schema,
    }


def catalog_schemas(registry: EventRegistry = EVENT_REGISTRY) -> dict[str, dict[str, Any]]:
    """Every registered event's JSON Schema, by event type, sorted by name."""
    return {name: event_schema(model, name, model.schema_version) for name, model in sorted(registry.models().items())}
