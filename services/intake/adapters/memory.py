"""In-memory stand-ins for the vault and the people list, so intake's handlers are unit-tested without I/O.

They keep the promises of the PostgreSQL adapters that the handlers rely on: one person
per normalised e-mail per branch, another branch's person is not found, data as stored.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.intake.domain.emails import normalize_email
from services.intake.domain.errors import DuplicatePerson
from services.intake.domain.mentee import MenteeState
from services.intake.domain.mentor import MentorState
from shared.tenancy import Tenant


@dataclass
class InMemoryPeople:
    """The people list as a dict of the latest state of each person."""

    rows: dict[uuid.UUID, MenteeState | MentorState] = field(default_factory=dict)

    async def save(self, state: MenteeState | MentorState) -> None:
        self.rows[state.id] = state


@dataclass
class InMemoryVault:
    """Personal data by person id, with the branch and the normalised e-mail it is found by."""

    people: InMemoryPeople
    records: dict[uuid.UUID, tuple[str, Tenant, dict[str, Any]]] = field(default_factory=dict)

    async def find_by_email(self, tenant: Tenant, email: str) -> tuple[uuid.UUID, str, str | None] | None:
        wanted = normalize_email(email)
        for person_id, (kind, owner, data) in self.records.items():
            if owner == tenant and normalize_email(data["email"]) == wanted:
                state = self.people.rows.get(person_id)
                return person_id, kind, state.status if state else None
        return None

    async def store(self, person_id: uuid.UUID, kind: str, tenant: Tenant, data: dict[str, Any]) -> None:
        if existing := await self.find_by_email(tenant, data["email"]):
            raise DuplicatePerson(*existing)
        self.records[person_id] = (kind, tenant, copy.deepcopy(data))

    async def read(self, person_id: uuid.UUID, tenant: Tenant) -> dict[str, Any]:
        kind, owner, data = self.records.get(person_id, ("", None, {}))
        return copy.deepcopy(data) if owner == tenant else {}

    async def read_many(self, person_ids: Sequence[uuid.UUID], tenant: Tenant) -> dict[uuid.UUID, dict[str, Any]]:
        return {
            person_id: copy.deepcopy(self.records[person_id][2])
            for person_id in person_ids
            if person_id in self.records and self.records[person_id][1] == tenant
        }

    async def erase(self, person_id: uuid.UUID, tenant: Tenant) -> None:
        if person_id in self.records and self.records[person_id][1] == tenant:
            del self.records[person_id]

    async def update(self, person_id: uuid.UUID, tenant: Tenant, changes: dict[str, Any]) -> None:
        if person_id in self.records and self.records[person_id][1] == tenant:
            self.records[person_id][2].update(copy.deepcopy(changes))
