"""Step two of a move: the branch erased from the old region, once the new region holds and has published it all.

Per database of the old region, in one transaction: the branch's rows of every table (tables.py), children first;
its people's data keys with them (crypto-shredding: every copy of their sealed values left in the WAL, dead tuples
or backups opens no more, docs/adr/0020); then, in the producing services, its events, each erased position
recorded in the hash chain under a mark of the service's chain key, so that `duo audit verify` still verifies
and says how many events were erased and why (shared/eventstore/chain_erasure.py, docs/adr/0031). Reporting's
rows of the branch go the same way, so none of its figures remains. Run again, it finds nothing left to erase.
"""

from __future__ import annotations

import asyncpg

from devtool.branch_move.copy import BranchIds, bound
from devtool.branch_move.tables import branch_tables
from shared.eventstore.chain_erasure import erase_events
from shared.tenancy import Tenant


class EraseRefused(RuntimeError):
    """The old region's copy of the branch is not safe to erase yet: nothing was erased."""


async def not_yet_in_target(source: asyncpg.Connection, target: asyncpg.Connection, branch: Tenant) -> str | None:
    """What of the branch's events in `source` the new region does not hold, or has not published (chained), yet."""
    events = await source.fetch(
        "SELECT event_id, stream_id, stream_version FROM events WHERE tenant = $1", branch.value
    )
    held = await target.fetch(
        "SELECT e.event_id, e.stream_id, e.stream_version, c.chain_seq IS NOT NULL AS published FROM events e "
        "LEFT JOIN event_chain c USING (global_position) WHERE e.event_id = ANY($1::uuid[])",
        [e["event_id"] for e in events],
    )
    there = {h["event_id"]: h for h in held}
    for event in events:
        copy = there.get(event["event_id"])
        if copy is None or (copy["stream_id"], copy["stream_version"]) != (event["stream_id"], event["stream_version"]):
            return f"event {event['event_id']} ({event['stream_id']} version {event['stream_version']}) is not copied"
        if not copy["published"]:
            return f"event {event['event_id']} is copied but not yet published by the new region"
    return None


async def erase_rows(con: asyncpg.Connection, branch: Tenant, ids: BranchIds) -> dict[str, int]:
    """Every row of the branch in this database's tables deleted, its people's data keys first (in the caller's
    transaction); by table, how many went. Run for every database before any event is erased: the rows found by
    event or stream id need the ids of every service's events."""
    removed: dict[str, int] = {}
    for rows in await branch_tables(con):
        if rows.table == "access_log":
            continue  # append-only and chained: erased entry by entry, each recorded (access_log.py)
        where, args = bound(rows, branch, ids)
        status = await con.execute(f"DELETE FROM {rows.table} WHERE {where}", *args)
        removed[rows.table] = int(status.split()[-1])
    return removed


async def erase_branch_events(con: asyncpg.Connection, branch: Tenant, chain_key: bytes, reason: str) -> int:
    """A producing service's events of the branch erased, each recorded in its chain (in the caller's
    transaction); how many."""
    rows = await con.fetch("SELECT global_position FROM events WHERE tenant = $1", branch.value)
    positions = [r["global_position"] for r in rows]
    try:
        return await erase_events(con, chain_key, positions, reason)
    except ValueError as err:
        raise EraseRefused(f"{await con.fetchval('SELECT current_database()')}: {err}") from None
