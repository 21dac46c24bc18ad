"""`GET /stats/mentees` reads the whole programme's counters of its branch through their own index (migration 22),
in any plan PostgreSQL keeps: one range of rows, not a search of the branch's counters office by office and year
by year (4 ms and 326 blocks a read at 1,000,000 facts before; the freshness bench's reader polls it every 20 ms)."""

from __future__ import annotations

import asyncpg
import pytest

from services.reporting.adapters.read_lists import MENTEE_COUNTS
from services.reporting.migrations import MIGRATIONS
from shared.migrations import migrate
from tests.query_plans import generic_plan, scanned_relations

pytestmark = pytest.mark.integration

# Counters of ten years of a branch's offices, in every cell and grain, as the consumer keeps them.
_COUNTERS = """
INSERT INTO rm_counts (tenant, office, year, grain, bucket, figure, key, n)
SELECT t, o, y, g, make_date(2017 + b, 1 + b % 12, 1), f, '', 1
FROM unnest(ARRAY['BE', 'NL']) t, unnest(ARRAY['*', 'a', 'b', 'c', 'd', 'e']) o,
     unnest(ARRAY[0, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]::int2[]) y,
     unnest(ARRAY['d', 'm', 'y']) g, generate_series(0, 9) b,
     unnest(ARRAY['registered', 'refused', 'duos_formed', 'positive_exit']) f
"""


async def test_the_mentee_counts_read_one_range_of_their_index(database_url: str):
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, MIGRATIONS)
        await con.execute(_COUNTERS)
        await con.execute("ANALYZE rm_counts")
        plans = [await generic_plan(con, MENTEE_COUNTS, ("text",), (branch,)) for branch in ("'BE'", "NULL")]
    finally:
        await con.close()
    for plan in plans:
        reads = scanned_relations(plan)
        assert [name for node, name, _ in reads if "Index" in node] == ["rm_counts_whole_programme"], reads
        assert not [node for node, _, _ in reads if node == "Seq Scan"], reads
