"""An in-memory stand-in for the duos' rows, so tracking's handlers are unit-tested without I/O.

It keeps the promises of the PostgreSQL adapter that the handlers rely on: another branch's duo is not
found, and a saved state is what the row (and its follow-ups) then say.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.tracking.domain.duo import DuoFacts, DuoState
from shared.tenancy import Tenant


@dataclass
class InMemoryDuos:
    """Each duo's facts (as matching's DuoFormed gave them) and its latest saved state."""

    known: dict[uuid.UUID, DuoFacts] = field(default_factory=dict)
    saved: dict[uuid.UUID, DuoState] = field(default_factory=dict)

    def formed(self, facts: DuoFacts) -> None:
        """What the projection of DuoFormed does: the duo becomes known."""
        self.known[facts.duo_id] = facts

    async def facts(self, tenant: Tenant, duo_id: uuid.UUID) -> DuoFacts | None:
        facts = self.known.get(duo_id)
        return facts if facts is not None and facts.tenant == tenant else None

    async def save(self, state: DuoState) -> None:
        self.saved[state.duo_id] = state
