"""The branch's partner organisations: one row each, written with the PartnerRegistered event that names it, and
the list coordinators read. Every read is filtered by the caller's branch in the SQL itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from services.tracking.domain.duo import Partner
from services.tracking.domain.partner import RegisteredPartner
from shared.tenancy import Tenant


@dataclass(frozen=True)
class PostgresPartners:
    """The partners' rows, on the connection of the command's transaction."""

    con: asyncpg.Connection

    async def get(self, tenant: Tenant, partner_id: uuid.UUID) -> Partner | None:
        row = await self.con.fetchrow(
            "SELECT partner_id, kind, office FROM partners WHERE partner_id = $1 AND tenant = $2",
            partner_id,
            tenant.value,
        )
        return None if row is None else Partner(row["partner_id"], row["kind"], row["office"])

    async def named(self, tenant: Tenant, key: str) -> uuid.UUID | None:
        found: uuid.UUID | None = await self.con.fetchval(
            "SELECT partner_id FROM partners WHERE tenant = $1 AND name_key = $2", tenant.value, key
        )
        return found

    async def add(self, tenant: Tenant, partner: RegisteredPartner, key: str, today: date) -> bool:
        # ON CONFLICT: two registrations of one name at once, the second finds the first's row here.
        added = await self.con.fetchval(
            "INSERT INTO partners (partner_id, tenant, office, kind, name, name_key, registered_on) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
            partner.partner_id,
            tenant.value,
            partner.office,
            partner.kind,
            partner.name,
            key,
            today,
        )
        return bool(added)


async def list_partners(
    con: asyncpg.Connection, tenant: Tenant, kind: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The branch's partners (of one kind, or all), by name."""
    rows = await con.fetch(
        "SELECT partner_id, office, kind, name, registered_on FROM partners "
        "WHERE tenant = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY name_key, partner_id LIMIT $3 OFFSET $4",
        tenant.value,
        kind,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
