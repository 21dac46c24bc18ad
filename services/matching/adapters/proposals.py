"""The proposals' read side and the pool's bookkeeping that each proposal fact implies, in its transaction."""

from __future__ import annotations

import uuid

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


async def save_proposal(con: asyncpg.Connection, s: ProposalState) -> None:
    """Write a proposal's row from its folded state."""
    assert s.tenant is not None
    await con.execute(
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


async def hold_for_proposal(con: asyncpg.Connection, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
    """The mentee is proposed; the mentor has one more open proposal."""
    await con.execute("UPDATE pool_mentees SET status = 'proposed' WHERE mentee_id = $1", mentee_id)
    await con.execute("UPDATE pool_mentors SET open_proposals = open_proposals + 1 WHERE mentor_id = $1", mentor_id)


async def release(con: asyncpg.Connection, mentee_id: uuid.UUID, mentor_id: uuid.UUID, declined: bool) -> None:
    """A declined or expired proposal: both return to the pool; a declined pair is never proposed again."""
    await con.execute(
        "UPDATE pool_mentees SET status = 'waiting' WHERE mentee_id = $1 AND status = 'proposed'", mentee_id
    )
    await con.execute(
        "UPDATE pool_mentors SET open_proposals = greatest(open_proposals - 1, 0) WHERE mentor_id = $1", mentor_id
    )
    if declined:
        await con.execute(
            "INSERT INTO declined_pairs (mentee_id, mentor_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            mentee_id,
            mentor_id,
        )


async def form_duo(con: asyncpg.Connection, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
    """The mentee leaves the waiting pool; the mentor's open proposal becomes an active duo."""
    await con.execute("UPDATE pool_mentees SET status = 'in_duo' WHERE mentee_id = $1", mentee_id)
    await con.execute(
        "UPDATE pool_mentors SET open_proposals = greatest(open_proposals - 1, 0), active_duos = active_duos + 1 "
        "WHERE mentor_id = $1",
        mentor_id,
    )


async def overdue(con: asyncpg.Connection, tenant: Tenant, today) -> list[uuid.UUID]:
    """Open proposals of the branch whose answer day has passed."""
    rows = await con.fetch(
        "SELECT proposal_id FROM proposals WHERE tenant = $1 AND status = 'open' AND expires_on < $2 "
        "ORDER BY expires_on, proposal_id",
        tenant.value,
        today,
    )
    return [r["proposal_id"] for r in rows]


async def list_proposals(
    con: asyncpg.Connection, tenant: Tenant, offices: list[str], status: str | None, limit: int, offset: int
) -> list[dict]:
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
