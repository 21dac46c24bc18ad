"""An in-memory stand-in for the duos' rows, so tracking's handlers are unit-tested without I/O.

It keeps the promises of the PostgreSQL adapter that the handlers rely on: another branch's duo is not
found, and a saved state is what the row (and its follow-ups) then say.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from services.tracking.domain.duo import DuoFacts, DuoState, Partner
from services.tracking.domain.partner import RegisteredPartner
from services.tracking.service import KnownDuo
from shared.tenancy import Tenant


@dataclass
class InMemoryDuos:
    """Each duo's facts (as matching's DuoFormed gave them) and its latest saved state."""

    known: dict[uuid.UUID, DuoFacts] = field(default_factory=dict)
    saved: dict[uuid.UUID, DuoState] = field(default_factory=dict)

    def formed(self, facts: DuoFacts) -> None:
        """What the projection of DuoFormed does: the duo becomes known."""
        self.known[facts.duo_id] = facts

    async def get(self, tenant: Tenant, duo_id: uuid.UUID) -> KnownDuo | None:
        facts = self.known.get(duo_id)
        if facts is None or facts.tenant != tenant:
            return None
        # As the PostgreSQL row: nothing saved yet is the duo as formed, else the state the last append left.
        return KnownDuo(facts, self.saved.get(duo_id, DuoState(facts)))

    async def get_many(self, tenant: Tenant, duo_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, KnownDuo]:
        found = {duo_id: await self.get(tenant, duo_id) for duo_id in duo_ids}
        return {duo_id: known for duo_id, known in found.items() if known is not None}

    async def save(self, state: DuoState) -> None:
        self.saved[state.duo_id] = state

    async def save_many(self, states: Collection[DuoState]) -> None:
        for state in states:
            await self.save(state)


@dataclass
class InMemoryPartners:
    """Each branch's partners by id, and their name keys (one partner per name and branch)."""

    rows: dict[uuid.UUID, tuple[Tenant, RegisteredPartner, str]] = field(default_factory=dict)

    async def get(self, tenant: Tenant, partner_id: uuid.UUID) -> Partner | None:
        row = self.rows.get(partner_id)
        if row is None or row[0] != tenant:
            return None
        _, partner, _ = row
        return Partner(partner.partner_id, partner.kind, partner.office)

    async def named(self, tenant: Tenant, key: str) -> uuid.UUID | None:
        return next((p.partner_id for t, p, k in self.rows.values() if t == tenant and k == key), None)

    async def add(self, tenant: Tenant, partner: RegisteredPartner, key: str, today: date) -> bool:
        if partner.partner_id in self.rows or await self.named(tenant, key) is not None:
            return False
        self.rows[partner.partner_id] = (tenant, partner, key)
        return True
