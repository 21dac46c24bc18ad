"""`GET /coordination`'s statement in the generic plan it runs with (read_coordination_json): each list's parts read
ranges of their indexes, and a service's pooled connections plan it without parallel workers. At 1,000,000 facts the
generic plan scanned every waiting mentee for the few waiting since the day asked (12 ms a read, not 2); at
10,000,000 it started two workers for each list's "ended since" part."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from services.reporting.adapters.read_lists import COORDINATION_JSON, read_coordination_json
from services.reporting.domain.coordination import Offices
from services.reporting.migrations import MIGRATIONS
from shared.eventstore.postgres import create_pool
from shared.migrations import migrate
from shared.tenancy import Tenant
from tests.query_plans import generic_plan, scanned_relations

pytestmark = pytest.mark.integration

# Parallel query at no cost and for any table size: a planner that may start workers starts them here.
_PARALLEL_AT_NO_COST = (
    "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
    "SET min_parallel_table_scan_size = 0; SET min_parallel_index_scan_size = 0"
)
# Each list's listings, still listed and ended after the day asked for, of a few years of a branch.
_LISTINGS = """
INSERT INTO rm_listed (entity, list, tenant, office, subject, from_day, until_day, rank_day, months, item)
SELECT l || ':' || i, l, 'BE', 'a', gen_random_uuid(), date '2020-01-01' + i % 1000,
       CASE WHEN i % 2 = 0 THEN 'infinity' ELSE date '2027-01-01' + i % 1000 END, date '2020-01-01' + i % 1000, 0, '{}'
FROM generate_series(1, 50000) i, unnest(ARRAY['waiting', 'proposals', 'inactive', 'follow_ups']) l
"""
_TYPES = ("text", "text[]", "date", "int", "date", "date")
_ARGUMENTS = ("'BE'", "NULL", "'2026-06-30'", "50", "'2026-01-01'", "'2026-06-01'")


def _gathers(plan: dict) -> list[str]:
    """The nodes of a JSON plan that collect parallel workers' rows."""
    found = [plan["Node Type"]] if plan["Node Type"].startswith("Gather") else []
    for child in plan.get("Plans", []):
        found.extend(_gathers(child))
    return found


async def _with_listings(con: asyncpg.Connection) -> None:
    """Reporting's tables, holding _LISTINGS, their statistics taken."""
    await migrate(con, MIGRATIONS)
    await con.execute(_LISTINGS)
    await con.execute("ANALYZE rm_listed")


async def _coordination_plan(con: asyncpg.Connection) -> dict:
    await con.execute(_PARALLEL_AT_NO_COST)
    try:
        return await generic_plan(con, COORDINATION_JSON, _TYPES, _ARGUMENTS)
    finally:
        await con.execute("RESET ALL")


async def test_each_list_reads_ranges_of_its_indexes_in_the_generic_plan(database_url: str):
    con = await asyncpg.connect(database_url)
    try:
        await _with_listings(con)
        reads = scanned_relations(await generic_plan(con, COORDINATION_JSON, _TYPES, _ARGUMENTS))
    finally:
        await con.close()
    listings = [(node, index, condition) for node, index, condition in reads if index.startswith("rm_listed_")]
    listings = [read for read in listings if not read[1].startswith("rm_listed_counts")]
    # The waiting mentees from the day asked on: a range of the open listings' index, not every waiting mentee.
    assert any(i == "rm_listed_open_in_order" and "(rank_day >= $3)" in c for _, i, c in listings), listings
    # Those ended after the day: a range of days of an index (the ended listings' or the index by list and day).
    ended = [(i, c) for _, i, c in listings if "(until_day > $3)" in c]
    assert len(ended) == 4 and {i for i, _ in ended} <= {"rm_listed_ended", "rm_listed_by_list"}, listings
    # Otherwise the index by list and day only fetches the listings chosen, each by its key.
    fetches = [c for _, i, c in listings if i == "rm_listed_by_list" and "(until_day > $3)" not in c]
    assert all("(from_day = " in c for c in fetches), listings
    assert {node for node, _, _ in listings} <= {"Index Scan", "Index Only Scan"}, listings


async def test_a_pooled_connection_plans_the_coordinators_lists_without_workers(database_url: str):
    plain = await asyncpg.connect(database_url)
    try:
        await _with_listings(plain)
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


async def test_the_lists_read_inside_a_callers_transaction_leave_its_plan_mode_alone(database_url: str):
    # A rebuild compares its figures in one transaction: the generic plan forced for the lists' read must not
    # outlast it there and plan every statement after it.
    con = await asyncpg.connect(database_url)
    try:
        await _with_listings(con)
        async with con.transaction():
            await read_coordination_json(con, Offices(Tenant.BE, None), date(2026, 6, 30), 50)
            assert await con.fetchval("SHOW plan_cache_mode") == "auto"
        assert await con.fetchval("SHOW plan_cache_mode") == "auto"
    finally:
        await con.close()
