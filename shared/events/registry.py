"""Lookup from an event's type name to its model, with upcasting of old schema versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.events.event import DomainEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    """No event model is registered under this type name."""


class EventRegistry:
    """The catalog's index: type name -> model, plus upcasters from old versions."""

    def __init__(self) -> None:
        self._models: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: type[DomainEvent]) -> type[DomainEvent]:
        """Add an event model to the catalog (usable as a class decorator)."""
        existing = self._models.get(model.event_type)
        if existing is not None and existing is not model:
            raise ValueError(f"event type {model.event_type!r} registered twice")
        self._models[model.event_type] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning data of `from_version` into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def model(self, event_type: str) -> type[DomainEvent]:
        """The model registered for a type name."""
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventType(event_type) from None

    def models(self) -> dict[str, type[DomainEvent]]:
        """Every registered model by type name."""
        return dict(self._models)

    def load(self, event_type: str, schema_version: int, data: dict[str, Any]) -> DomainEvent:
        """Build the typed event, upcasting stored data one version at a time; old data is never rewritten."""
        model = self.model(event_type)
        version = schema_version
        while version < model.schema_version:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventType(f"no upcaster for {event_type} v{version}")
            data = step(dict(data))
            version += 1
        return model.model_validate(data)


EVENT_REGISTRY = EventRegistry()
