"""What the Kafka subscriber needs of a consumer, whichever guarantee it gives (by event id, or in stream order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from shared.events.envelope import EventEnvelope

# Events the subscriber refused for their origin (not the topic's producer, or of no office of their branch) are
# parked for an operator to see, never applied: a replay of parked events leaves them where they are.
# A foreign branch's event (one this region does not host) stays parked too: a replay does not move it here.
NOT_REFUSED_ORIGIN = (
    "reason NOT LIKE 'forged_source:%' AND reason NOT LIKE 'unknown_office:%' AND reason NOT LIKE 'foreign_branch:%'"
)


@runtime_checkable
class Consumer(Protocol):
    """Applies events' effects exactly once, parking those that can never apply for an operator to replay.

    Satisfied structurally by `IdempotentConsumer` (shared/consuming/idempotent.py) and
    `OrderedConsumer` (shared/consuming/ordered.py).
    """

    @property
    def name(self) -> str:
        """The consumer's name: its key in the dedupe tables, and its Kafka consumer group."""
        ...

    @property
    def event_types(self) -> frozenset[str]:
        """The event types this consumer has an effect for."""
        ...

    def passes_over(self, producer: str | None, event_type: str | None) -> bool:
        """True for an event the subscriber need not read at all (not decoded, verified, parked or handed over):
        from `producer` (the topic's), of `event_type` (its `ce_type`), it has no effect here nor a place in an order
        this consumer keeps (docs/adr/0036)."""
        ...

    async def handle(self, envelope: EventEnvelope) -> bool:
        """Apply the event; True only when its effect ran now. Errors a retry can cure propagate."""
        ...

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> list[bool]:
        """Apply a batch in one transaction, positions included; for each event, whether its effect ran now.

        Any error rolls the batch back and propagates; the caller then handles the events one by one.
        """
        ...

    async def park(self, envelope: EventEnvelope, reason: str) -> None:
        """Keep an event that cannot be applied, with the reason, for an operator to see and replay."""
        ...

    async def replay_parked(self) -> tuple[int, int]:
        """Handle every parked event again, once its cause is fixed; returns (resolved, still parked)."""
        ...
