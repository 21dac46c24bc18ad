"""The personal-data vault on PostgreSQL: the one place intake keeps names, contact details and birth dates
(docs/adr/0006). Bound to the connection of the command's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.intake.domain.emails import normalize_email
from services.intake.domain.errors import DuplicatePerson
from shared.commanding.idempotency import forget_answers_about
from shared.tenancy import Tenant


@dataclass(frozen=True)
class PostgresVault:
    """The `personal_data` table, read and written on one connection."""

    con: asyncpg.Connection

    async def find_by_email(self, tenant: Tenant, email: str) -> tuple[uuid.UUID, str, str | None] | None:
        row = await self.con.fetchrow(
            "SELECT d.person_id, d.kind, p.status FROM personal_data d LEFT JOIN people p USING (person_id) "
            "WHERE d.tenant = $1 AND d.email_normalized = $2",
            tenant.value,
            normalize_email(email),
        )
        return (row["person_id"], row["kind"], row["status"]) if row else None

    async def store(self, person_id: uuid.UUID, kind: str, tenant: Tenant, data: dict[str, Any]) -> None:
        # ON CONFLICT waits for a concurrent insert of the same e-mail to commit or roll back,
        # so exactly one of two racing registrations wins, without aborting our transaction.
        inserted = await self.con.fetchval(
            "INSERT INTO personal_data (person_id, kind, tenant, email_normalized, data) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (tenant, email_normalized) DO NOTHING RETURNING true",
            person_id,
            kind,
            tenant.value,
            normalize_email(data["email"]),
            data,
        )
        if not inserted:
            existing = await self.find_by_email(tenant, data["email"])
            assert existing is not None  # the conflicting row committed: that is why the insert did nothing
            raise DuplicatePerson(*existing)

    async def read(self, person_id: uuid.UUID, tenant: Tenant) -> dict[str, Any]:
        return (
            await self.con.fetchval(
                "SELECT data FROM personal_data WHERE person_id = $1 AND tenant = $2", person_id, tenant.value
            )
            or {}
        )

    async def erase(self, person_id: uuid.UUID, tenant: Tenant) -> None:
        await self.con.execute(
            "DELETE FROM personal_data WHERE person_id = $1 AND tenant = $2", person_id, tenant.value
        )
        await forget_answers_about(self.con, tenant, person_id)

    async def update(self, person_id: uuid.UUID, tenant: Tenant, changes: dict[str, Any]) -> None:
        await self.con.execute(
            "UPDATE personal_data SET data = data || $3, updated_at = now() WHERE person_id = $1 AND tenant = $2",
            person_id,
            tenant.value,
            changes,
        )
