"""The proposals' read side: a row per proposal written in its command's transaction, and the lists read from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from services.matching.domain.proposal import ProposalState
from shared.tenancy import Tenant

_UPSERT = """
INSERT INTO proposals (proposal_id, tenant, office, mentee_id, mentor_id, round_id, status, score, terms,
                       config_version, proposed_on, expires_on, meeting_on, accepted_by, duo_id, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (proposal_id) DO UPDATE SET status = EXCLUDED.status, meeting_on = EXCLUDED.meeting_on,
    accepted_by = EXCLUDED.accepted_by, duo_id = EXCLUDED.duo_id, version = EXCLUDED.version
"""


@dataclass(frozen=True)
class PostgresProposals:
    """The proposals' table, on the connection of the command's transaction."""

    con: asyncpg.Connection

    async def save(self, s: ProposalState) -> None:
        """Write a proposal's row from its folded state."""
        assert s.tenant is not None
        await self.con.execute(
            _UPSERT,
            s.proposal_id,
            s.tenant.value,
            s.office,
            s.mentee_id,
            s.mentor_id,
            s.round_id,
            s.status,
            s.score,
            s.terms,
            s.config_version,
            s.proposed_on,
            s.expires_on,
            s.meeting_on,
            sorted(s.accepted_by),
            s.duo_id,
            s.version,
        )

    async def overdue(self, tenant: Tenant, today: date) -> list[uuid.UUID]:
        rows = await self.con.fetch(
            "SELECT proposal_id FROM proposals WHERE tenant = $1 AND status = 'open' AND expires_on < $2 "
            "ORDER BY expires_on, proposal_id",
            tenant.value,
            today,
        )
        return [r["proposal_id"] for r in rows]


async def list_proposals(
    con: asyncpg.Connection, tenant: Tenant, offices: list[str], status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await con.fetch(
        "SELECT * FROM proposals WHERE tenant = $1 AND office = ANY($2::text[]) AND ($3::text IS NULL OR status = $3) "
        "ORDER BY proposed_on DESC, proposal_id LIMIT $4 OFFSET $5",
        tenant.value,
        offices,
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
