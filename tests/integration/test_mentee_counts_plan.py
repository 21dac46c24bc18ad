"""`GET /stats/mentees` reads the whole programme's counters of its branch through their own index (migration 22),
in any plan PostgreSQL keeps: one range of rows, not a search of the branch's counters office by office and year
by year (4 ms and 326 blocks a read at 1,000,000 facts before; the freshness bench's reader polls it every 20 ms)."""

from __future__ import annotations

import asyncpg
import pytest

from services.reporting.adapters.read_lists import MENTEE_COUNTS
from services.reporting.migrations import MIGRATIONS
from shared.migrations import migrate
from tests.query_plans import TEN_YEARS_OF_COUNTERS, generic_plan, scanned_relations

pytestmark = pytest.mark.integration


async def test_the_mentee_counts_read_one_range_of_their_index(database_url: str):
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, MIGRATIONS)
        await con.execute(TEN_YEARS_OF_COUNTERS)
        await con.execute("ANALYZE rm_counts")
        plans = [await generic_plan(con, MENTEE_COUNTS, ("text",), (branch,)) for branch in ("'BE'", "NULL")]
    finally:
        await con.close()
    for plan in plans:
        reads = scanned_relations(plan)
        assert [name for node, name, _ in reads if "Index" in node] == ["rm_counts_whole_programme"], reads
        assert not [node for node, _, _ in reads if node == "Seq Scan"], reads
