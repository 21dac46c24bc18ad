"""Which rows of each table are a branch's: the one map both the copy and the erasure read.

A table with a `tenant` column holds a branch's rows under its code. The others are named here, each with the
condition that picks a branch's rows ($1 the branch, $2 its event ids, $3 its stream ids), or as holding nothing
of any branch. A table named nowhere is refused by both steps: a table added later is classified here before a
branch can move, rather than copied half or erased half.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

# The producing services: their events are copied and erased, each with what the service keeps beside them.
PRODUCERS = ("intake", "matching", "tracking")

# Rows of a branch in tables without a `tenant` column. Listed children first: erasing goes in this order, before
# the tables with a `tenant` column whose rows they refer to.
BY_REFERENCE = {
    "data_keys": "person_id IN (SELECT person_id FROM personal_data WHERE tenant = $1)",
    "declined_pairs": "mentee_id IN (SELECT mentee_id FROM pool_mentees WHERE tenant = $1)",
    "follow_ups": "duo_id IN (SELECT duo_id FROM duos WHERE tenant = $1)",
    "processed_events": "event_id = ANY($2::uuid[])",
    "stream_positions": "stream_id = ANY($3::text[])",
    "held_events": "envelope->>'tenant' = $1",
    "parked_events": "envelope->>'tenant' = $1",
    "parked_messages": (
        "EXISTS (SELECT 1 FROM jsonb_array_elements(headers) h WHERE h->>0 = 'ce_tenant' AND h->>1 = $1)"
    ),
    "rm_duo_facts": "stream_id = ANY($3::text[])",
}

# Tables holding nothing of any branch (bookkeeping, or figures: reporting's own events and its federation
# publications, which hold figures the federation already received, never a person's id; docs/adr/0025).
NOTHING_OF_A_BRANCH = frozenset(
    {
        "schema_migrations",
        "outbox_broker",
        "access_log_head",
        "rm_counted",
        "rm_filled",
        "rm_listed_filled",
        "federation_publications",
        "erased_events",
        "access_log_erased",
    }
)

# The store's own tables, moved by the move's own steps: the events (copied with new positions, erased with their
# chain positions recorded), their outbox rows, the chain (each region seals its own).
STORE = frozenset({"events", "outbox", "event_chain"})

# Copied by steps of their own, never as rows: personal_data and data_keys (re-keyed, vault.py), the access log
# (appended to the new region's chain, access_log.py). Parked events and messages are not copied: the new region's
# consumers, which never processed those events, try them again.
NOT_COPIED = frozenset({"personal_data", "data_keys", "access_log", "parked_events", "parked_messages"})


@dataclass(frozen=True)
class BranchRows:
    """The branch's rows of one table: the condition that picks them."""

    table: str
    where: str


class UnclassifiedTable(RuntimeError):
    """A table the move does not know: nothing is copied or erased until it is classified in this module."""


async def branch_tables(con: asyncpg.Connection) -> list[BranchRows]:
    """Every table of this database holding a branch's rows, children first, store tables left out;
    UnclassifiedTable for a table this module does not know."""
    rows = await con.fetch(
        "SELECT t.tablename, EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = 'public' "
        "AND c.table_name = t.tablename AND c.column_name = 'tenant') AS by_tenant "
        "FROM pg_tables t WHERE t.schemaname = 'public' ORDER BY t.tablename"
    )
    by_tenant, by_reference = [], []
    for row in rows:
        table = row["tablename"]
        if table in STORE or table in NOTHING_OF_A_BRANCH:
            continue
        if table in BY_REFERENCE:
            by_reference.append(BranchRows(table, BY_REFERENCE[table]))
        elif row["by_tenant"]:
            by_tenant.append(BranchRows(table, "tenant = $1"))
        else:
            raise UnclassifiedTable(
                f"table {table} of {await con.fetchval('SELECT current_database()')} is not known to the move: "
                "classify it in devtool/branch_move/tables.py"
            )
    order = list(BY_REFERENCE)
    by_reference.sort(key=lambda rows: order.index(rows.table))
    return by_reference + by_tenant
