"""A service's pooled connections plan without parallel workers: `GET /coordination`'s generic plan started two
workers for each list's "ended since" part at 10,000,000 facts (eight processes a read, most of its 30 ms), where a
plain connection's plan, with parallel query made as cheap as it can be, starts them on a table of any size."""

from __future__ import annotations

import asyncpg
import pytest

from services.reporting.adapters.read_lists import COORDINATION_JSON
from services.reporting.migrations import MIGRATIONS
from shared.eventstore.postgres import create_pool
from shared.migrations import migrate
from tests.query_plans import generic_plan

pytestmark = pytest.mark.integration

# Parallel query at no cost and for any table size: a planner that may start workers starts them here.
_PARALLEL_AT_NO_COST = (
    "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
    "SET min_parallel_table_scan_size = 0; SET min_parallel_index_scan_size = 0"
)
# Listings of each list that ended after the day asked for: the part of a list's read that sorts what it keeps.
_ENDED_LISTINGS = """
INSERT INTO rm_listed (entity, list, tenant, office, subject, from_day, until_day, rank_day, months, item)
SELECT l || ':' || i, l, 'BE', 'a', gen_random_uuid(), date '2020-01-01' + i % 1000, date '2027-01-01' + i % 1000,
       date '2020-01-01' + i % 1000, 0, '{}'
FROM generate_series(1, 25000) i, unnest(ARRAY['waiting', 'proposals', 'inactive', 'follow_ups']) l
"""
_TYPES = ("text", "text[]", "date", "int", "date", "date")
_ARGUMENTS = ("'BE'", "NULL", "'2026-06-30'", "50", "'2026-01-01'", "'2026-06-01'")


def _gathers(plan: dict) -> list[str]:
    """The nodes of a JSON plan that collect parallel workers' rows."""
    found = [plan["Node Type"]] if plan["Node Type"].startswith("Gather") else []
    for child in plan.get("Plans", []):
        found.extend(_gathers(child))
    return found


async def _coordination_plan(con: asyncpg.Connection) -> dict:
    await con.execute(_PARALLEL_AT_NO_COST)
    try:
        return await generic_plan(con, COORDINATION_JSON, _TYPES, _ARGUMENTS)
    finally:
        await con.execute("RESET ALL")


async def test_a_pooled_connection_plans_the_coordinators_lists_without_workers(database_url: str):
    plain = await asyncpg.connect(database_url)
    try:
        await migrate(plain, MIGRATIONS)
        await plain.execute(_ENDED_LISTINGS)
        await plain.execute("ANALYZE rm_listed")
        # The control: the same statement on a connection with PostgreSQL's defaults does start workers.
        assert _gathers(await _coordination_plan(plain)), "the setup no longer provokes a parallel plan"
    finally:
        await plain.close()
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as con:
            assert await con.fetchval("SHOW max_parallel_workers_per_gather") == "0"
            assert _gathers(await _coordination_plan(con)) == []
    finally:
        await pool.close()
