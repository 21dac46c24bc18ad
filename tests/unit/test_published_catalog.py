"""The machine-readable catalog under docs/events/ is complete and never stale."""

from __future__ import annotations

import json
from pathlib import Path

from shared.events import EVENT_REGISTRY
from shared.events.asyncapi import asyncapi_document
from shared.events.catalog import PRODUCERS
from shared.events.schemas import catalog_schemas

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
