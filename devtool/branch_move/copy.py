"""Step one of a move: the branch's events and rows copied from the old region's stores into the new region's.

Per producing service, in one transaction of the new region's database: the rows its services keep beside the
events (read models, consumers' bookkeeping; tables.py), then its events with the same ids, streams, versions and
times, in the old order, each with an outbox row so that the new region's relay publishes it (signing it and
chaining it as its own). The rows go first, for every service, then the events: a consumer of the new region
that is handed a copied event then finds it already processed (its dedupe row copied), never applies it on top of
state that holds it. Everything is inserted ON CONFLICT DO NOTHING, so a copy run again after a crash adds only
what is missing; an event whose stream version the new region holds with another event id is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from devtool.branch_move.tables import NOT_COPIED, BranchRows, branch_tables
from shared.eventstore.postgres import FACT_COLUMNS, OUTBOX_CHANNEL
from shared.tenancy import Tenant


class CopyRefused(RuntimeError):
    """The copy cannot be made as it is: nothing of it was committed."""


@dataclass(frozen=True)
class BranchIds:
    """The branch's event ids and stream ids across every producing service of the old region."""

    event_ids: list[str]
    stream_ids: list[str]


async def branch_ids(sources: dict[str, asyncpg.Connection], branch: Tenant) -> BranchIds:
    event_ids: list[str] = []
    stream_ids: set[str] = set()
    for con in sources.values():
        for row in await con.fetch("SELECT event_id::text, stream_id FROM events WHERE tenant = $1", branch.value):
            event_ids.append(row["event_id"])
            stream_ids.add(row["stream_id"])
    return BranchIds(event_ids, sorted(stream_ids))


def bound(rows: BranchRows, branch: Tenant, ids: BranchIds) -> tuple[str, list[Any]]:
    """`rows.where` with only the parameters it names, numbered from $1 (PostgreSQL refuses a parameter a statement
    does not use: it cannot tell its type), and their values."""
    values: dict[str, Any] = {"1": branch.value, "2": ids.event_ids, "3": ids.stream_ids}
    used = sorted(set(re.findall(r"\$([123])\b", rows.where)))
    renumbered = {old: str(n) for n, old in enumerate(used, start=1)}
    return re.sub(r"\$([123])\b", lambda m: f"${renumbered[m[1]]}", rows.where), [values[old] for old in used]


async def _as_json(con: asyncpg.Connection, table: str, where: str, args: list[Any], order: str = "") -> str:
    text: str = await con.fetchval(
        f"SELECT coalesce(jsonb_agg(to_jsonb(t){order}), '[]')::text FROM {table} t WHERE {where}", *args
    )
    return text


async def _written_columns(con: asyncpg.Connection, table: str) -> str:
    """The columns an INSERT may name (generated identity columns left to the new database)."""
    names = await con.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
        "AND is_identity = 'NO' AND is_generated = 'NEVER' ORDER BY ordinal_position",
        table,
    )
    return ", ".join(f'"{n["column_name"]}"' for n in names)


async def copy_rows(
    source: asyncpg.Connection, target: asyncpg.Connection, branch: Tenant, ids: BranchIds
) -> dict[str, int]:
    """The branch's rows of every table of tables.py from `source` into `target` (in its transaction): by table,
    how many were new there."""
    added: dict[str, int] = {}
    for rows in reversed(await branch_tables(source)):  # parents (tables with a `tenant` column) first
        if rows.table in NOT_COPIED:
            continue
        where, args = bound(rows, branch, ids)
        found = await _as_json(source, rows.table, where, args)
        columns = await _written_columns(target, rows.table)
        status = await target.execute(
            f"INSERT INTO {rows.table} ({columns}) SELECT {columns} "
            f"FROM jsonb_populate_recordset(NULL::{rows.table}, $1::jsonb) ON CONFLICT DO NOTHING",
            found,
        )
        added[rows.table] = int(status.split()[-1])
    return added


async def copy_events(source: asyncpg.Connection, target: asyncpg.Connection, branch: Tenant) -> int:
    """The branch's events from `source` into `target` (in its transaction), in the old order, each with an outbox
    row; how many were new there. CopyRefused if the target holds one of their stream versions with another event."""
    found = await _as_json(source, "events", "tenant = $1", [branch.value], " ORDER BY t.global_position")
    columns = ", ".join(FACT_COLUMNS)
    inserted = await target.fetch(
        f"WITH copied AS (INSERT INTO events ({columns}) "
        f"SELECT {columns} FROM jsonb_populate_recordset(NULL::events, $1::jsonb) ORDER BY global_position "
        "ON CONFLICT DO NOTHING RETURNING global_position) "
        "INSERT INTO outbox (global_position) SELECT global_position FROM copied RETURNING global_position",
        found,
    )
    clash = await target.fetchrow(
        "SELECT s.stream_id, s.stream_version, s.event_id FROM jsonb_populate_recordset(NULL::events, $1::jsonb) s "
        "LEFT JOIN events e ON e.event_id = s.event_id AND e.stream_id = s.stream_id "
        "AND e.stream_version = s.stream_version WHERE e.event_id IS NULL LIMIT 1",
        found,
    )
    if clash is not None:
        raise CopyRefused(
            f"stream {clash['stream_id']} version {clash['stream_version']}: the new region holds another event "
            f"there, or event {clash['event_id']} elsewhere (nothing of this service was copied)"
        )
    if inserted:
        await target.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)  # the relay publishes them at commit
    return len(inserted)
