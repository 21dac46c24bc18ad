"""`GET /plan`'s counts as of a day read one figure's counters of each office through their index by day (migration
23), in any plan PostgreSQL keeps: three ranges of days, not every counter of the branch (1,200 to 1,700 blocks a
read at 1,000,000 facts through the primary key, whose office and year come before the day)."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from services.reporting.adapters.read_lists import duos_formed_query
from services.reporting.migrations import MIGRATIONS
from shared.migrations import migrate
from shared.tenancy import Tenant
from tests.query_plans import TEN_YEARS_OF_COUNTERS, generic_plan, scanned_relations

pytestmark = pytest.mark.integration


async def test_the_plans_counts_as_of_a_day_read_ranges_of_their_index(database_url: str):
    sql, arguments = duos_formed_query(Tenant.BE, date(2026, 6, 30))
    literals = tuple(f"'{value.isoformat() if isinstance(value, date) else value}'" for value in arguments)
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, MIGRATIONS)
        await con.execute(TEN_YEARS_OF_COUNTERS)
        await con.execute("ANALYZE rm_counts")
        plan = await generic_plan(con, sql, ("text", "date", "date", "date"), literals)
    finally:
        await con.close()
    reads = scanned_relations(plan)
    assert {name for node, name, _ in reads if "Index" in node} == {"rm_counts_of_offices_by_day"}, reads
    assert not [node for node, _, _ in reads if node == "Seq Scan"], reads
