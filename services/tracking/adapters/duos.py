"""The duos tracking knows: the projection of matching's DuoFormed, the rows kept in step with each
command, and the lists coordinators read (a duo, the duos of an office, inactive duos, due follow-ups)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from services.tracking.adapters import snapshot
from services.tracking.domain import rules
from services.tracking.domain.duo import DuoFacts, DuoState
from services.tracking.service import KnownDuo
from shared.consuming.parking import Effect
from shared.events.catalog import DuoFormed
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant

# --- Projection: matching's facts -------------------------------------------------------------


async def _duo_formed(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, DuoFormed)
    await con.execute(
        "INSERT INTO duos (duo_id, tenant, office, proposal_id, mentee_id, mentor_id, province, job_target_sector, "
        "formed_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (duo_id) DO NOTHING",
        e.duo_id,
        envelope.tenant.value,
        envelope.office,
        e.proposal_id,
        e.mentee_id,
        e.mentor_id,
        e.province,
        e.job_target_sector,
        e.formed_on,
    )


DUO_EFFECTS: dict[str, Effect] = {DuoFormed.event_type: _duo_formed}

# --- One duo ----------------------------------------------------------------------------------


def _facts_of(row: asyncpg.Record) -> DuoFacts:
    """What DuoFormed said, as the domain reads it."""
    return DuoFacts(
        duo_id=row["duo_id"],
        tenant=Tenant(row["tenant"]),
        office=row["office"],
        mentee_id=row["mentee_id"],
        mentor_id=row["mentor_id"],
        formed_on=row["formed_on"],
    )


# Duos' rows and, for those that ended, their three follow-ups, in one statement (one round trip a command, or a batch
# of duos): one element per duo ($1 to $8), one per follow-up ($9 to $14); before a duo's end it has none.
_SAVE_MANY = """
WITH saved AS (
    UPDATE duos d SET status = s.status, meetings = s.meetings, last_met_on = s.last_met_on, ended_on = s.ended_on,
                      end_reason = s.end_reason, version = s.version, state = s.state::jsonb
    FROM unnest($1::uuid[], $2::text[], $3::int[], $4::date[], $5::date[], $6::text[], $7::int[], $8::text[])
         AS s(duo_id, status, meetings, last_met_on, ended_on, end_reason, version, state)
    WHERE d.duo_id = s.duo_id
)
INSERT INTO follow_ups (duo_id, months, due_on, closes_on, status, recorded_on)
SELECT * FROM unnest($9::uuid[], $10::int[], $11::date[], $12::date[], $13::text[], $14::date[])
ON CONFLICT (duo_id, months) DO UPDATE SET status = EXCLUDED.status, recorded_on = EXCLUDED.recorded_on
"""

_ROW = "SELECT duo_id, tenant, office, mentee_id, mentor_id, formed_on, version, state FROM duos"


def _follow_ups(s: DuoState) -> list[tuple[uuid.UUID, int, date, date, str | None, date | None]]:
    """The duo's follow-up rows as its state has them: none before its end, the three after it."""
    if s.ended_on is None:
        return []
    recorded = [(m, *s.follow_ups.get(m, (None, None))) for m in rules.FOLLOW_UP_MONTHS]
    return [
        (s.duo_id, m, rules.follow_up_due_on(s.ended_on, m), rules.follow_up_closes_on(s.ended_on, m), status, on)
        for m, status, on in recorded
    ]


def _known(row: asyncpg.Record) -> KnownDuo:
    facts = _facts_of(row)
    return KnownDuo(facts, snapshot.from_document(facts, row["version"], row["state"]))


@dataclass(frozen=True)
class PostgresDuos:
    """The duos' rows and their follow-ups, on the connection of the command's transaction."""

    con: asyncpg.Connection

    async def get(self, tenant: Tenant, duo_id: uuid.UUID) -> KnownDuo | None:
        row = await self.con.fetchrow(f"{_ROW} WHERE duo_id = $1 AND tenant = $2", duo_id, tenant.value)
        return None if row is None else _known(row)

    async def get_many(self, tenant: Tenant, duo_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, KnownDuo]:
        rows = await self.con.fetch(
            f"{_ROW} WHERE duo_id = ANY($1::uuid[]) AND tenant = $2", list(duo_ids), tenant.value
        )
        return {row["duo_id"]: _known(row) for row in rows}

    async def save(self, state: DuoState) -> None:
        await self.save_many([state])

    async def save_many(self, states: Collection[DuoState]) -> None:
        follow_ups = [row for s in states for row in _follow_ups(s)]
        follow_up_columns = [list(column) for column in zip(*follow_ups, strict=True)] if follow_ups else [[]] * 6
        await self.con.execute(
            _SAVE_MANY,
            [s.duo_id for s in states],
            [s.status for s in states],
            [s.meetings for s in states],
            [s.last_met_on for s in states],
            [s.ended_on for s in states],
            [s.end_reason for s in states],
            [s.version for s in states],
            [json.dumps(snapshot.to_document(s)) for s in states],
            *follow_up_columns,
        )


# --- Lists ------------------------------------------------------------------------------------


async def list_duos(
    con: asyncpg.Connection, tenant: Tenant, offices: Sequence[str], status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The duos of some offices, newest first."""
    rows = await con.fetch(
        "SELECT duo_id, office, status, mentee_id, mentor_id, formed_on, meetings, last_met_on, ended_on, end_reason, "
        "version FROM duos WHERE tenant = $1 AND office = ANY($2::text[]) AND ($3::text IS NULL OR status = $3) "
        "ORDER BY formed_on DESC, duo_id LIMIT $4 OFFSET $5",
        tenant.value,
        list(offices),
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def inactive(
    con: asyncpg.Connection, tenant: Tenant, offices: Sequence[str], today: date, days: int, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Running duos with no meeting (or none since they were formed) for `days` days or more, longest first."""
    rows = await con.fetch(
        "SELECT duo_id, office, mentee_id, mentor_id, formed_on, meetings, last_met_on, "
        "$3::date - coalesce(last_met_on, formed_on) AS days_without_meeting "
        "FROM duos WHERE tenant = $1 AND office = ANY($2::text[]) AND status = 'active' "
        "AND coalesce(last_met_on, formed_on) <= $3::date - $4::int "
        "ORDER BY coalesce(last_met_on, formed_on), duo_id LIMIT $5 OFFSET $6",
        tenant.value,
        list(offices),
        today,
        days,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def due_follow_ups(
    con: asyncpg.Connection, tenant: Tenant, offices: Sequence[str], today: date, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Follow-ups due today or earlier, not recorded, whose window is still open; the oldest first."""
    rows = await con.fetch(
        "SELECT f.duo_id, d.office, d.mentee_id, d.ended_on, f.months, f.due_on, f.closes_on "
        "FROM follow_ups f JOIN duos d USING (duo_id) "
        "WHERE d.tenant = $1 AND d.office = ANY($2::text[]) AND f.recorded_on IS NULL "
        "AND f.due_on <= $3 AND f.closes_on >= $3 "
        "ORDER BY f.due_on, f.duo_id, f.months LIMIT $4 OFFSET $5",
        tenant.value,
        list(offices),
        today,
        limit,
        offset,
    )
    return [dict(r) for r in rows]
