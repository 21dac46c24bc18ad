"""The `people` list on PostgreSQL: one row per mentee or mentor, for lists by office with filters and paging."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from services.intake.domain.mentee import MenteeState
from services.intake.domain.mentor import MentorState
from shared.tenancy import Tenant

_UPSERT = """
INSERT INTO people (person_id, kind, tenant, office, status, ready_for_matching, sectors, languages,
                    weekly_availability_hours, available_day_parts, capacity, age_band, version, registered_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (person_id) DO UPDATE SET
    status = EXCLUDED.status, ready_for_matching = EXCLUDED.ready_for_matching, sectors = EXCLUDED.sectors,
    languages = EXCLUDED.languages, weekly_availability_hours = EXCLUDED.weekly_availability_hours,
    available_day_parts = EXCLUDED.available_day_parts, capacity = EXCLUDED.capacity,
    version = EXCLUDED.version, updated_at = now()
"""


def intake_tables_ddl() -> str:
    """DDL of intake's own tables (personal-data vault, people list)."""
    return resources.files("services.intake.migrations").joinpath("0001_vault_and_people.sql").read_text()


@dataclass(frozen=True)
class PostgresPeople:
    """The `people` table, written on the connection of the command's transaction."""

    con: asyncpg.Connection

    async def save(self, state: MenteeState | MentorState) -> None:
        """Write a mentee's or mentor's row from their folded state."""
        if isinstance(state, MenteeState):
            await save_mentee(self.con, state)
        else:
            await save_mentor(self.con, state)


async def save_mentee(con: asyncpg.Connection, state: MenteeState) -> None:
    """Write a mentee's row from their folded state; call in the append's transaction."""
    assert state.tenant is not None
    sectors = [state.job_target_sector] if state.job_target_sector else []
    await con.execute(
        _UPSERT,
        state.mentee_id,
        "mentee",
        state.tenant.value,
        state.office,
        state.status,
        state.ready_for_matching,
        sectors,
        list(state.languages),
        state.weekly_availability_hours,
        list(state.available_day_parts),
        None,
        state.age_band,
        state.version,
        state.registered_at,
    )


async def save_mentor(con: asyncpg.Connection, state: MentorState) -> None:
    """Write a mentor's row from their folded state; call in the append's transaction."""
    assert state.tenant is not None
    await con.execute(
        _UPSERT,
        state.mentor_id,
        "mentor",
        state.tenant.value,
        state.office,
        state.status,
        state.ready_for_matching,
        list(state.sectors),
        list(state.languages),
        state.weekly_availability_hours,
        list(state.available_day_parts),
        state.capacity,
        state.age_band,
        state.version,
        state.registered_at,
    )


@dataclass(frozen=True)
class PeopleQuery:
    """Which people of one office of the caller's branch to list, and which page."""

    kind: str
    tenant: Tenant
    office: str
    status: str | None = None
    sector: str | None = None
    ready_for_matching: bool | None = None
    limit: int = 20
    offset: int = 0


async def list_people(con: asyncpg.Connection, q: PeopleQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of the branch's people and how many match in all. Their names are sealed in the vault
    (adapters/vault.py `read_many`), not here."""
    where = """p.kind = $1 AND p.tenant = $2 AND p.office = $3 AND ($4::text IS NULL OR p.status = $4)
               AND ($5::text IS NULL OR $5 = ANY (p.sectors))
               AND ($6::boolean IS NULL OR p.ready_for_matching = $6)"""
    args = (q.kind, q.tenant.value, q.office, q.status, q.sector, q.ready_for_matching)
    # One snapshot for both statements: read committed would let a registration that commits
    # between them show a total that disagrees with the page (and a next_offset that skips it).
    # count(*) OVER () in the page query would not do: a page past the end has no row to carry the total.
    async with con.transaction(isolation="repeatable_read", readonly=True):
        total = await con.fetchval(f"SELECT count(*) FROM people p WHERE {where}", *args)
        rows = await con.fetch(
            f"SELECT p.* FROM people p WHERE {where} ORDER BY p.registered_at, p.person_id LIMIT $7 OFFSET $8",
            *args,
            q.limit,
            q.offset,
        )
    return [dict(row) for row in rows], total
