"""An aggregate's definition: its stream name, its initial state and how each event changes it. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from shared.events.envelope import EventEnvelope


class Versioned(Protocol):
    """A state that knows the stream version it was folded up to (0: no such record)."""

    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=Versioned)


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    """What load / decide / append needs to know of one kind of record."""

    kind: str  # "mentee": names the stream ("mentee-<id>") and the record in a 404
    initial: S
    evolve: Callable[[S, EventEnvelope], S]  # one event applied to a state; the version is set by `fold`

    def stream(self, record_id: uuid.UUID) -> str:
        """The stream holding one record's history."""
        return f"{self.kind}-{record_id}"

    def fold(self, envelopes: Iterable[EventEnvelope], state: S | None = None) -> S:
        """Apply events, in stream order, to a state (the initial one by default)."""
        folded = self.initial if state is None else state
        for envelope in envelopes:
            folded = replace(self.evolve(folded, envelope), version=envelope.stream_version)  # type: ignore[type-var]
        return folded
