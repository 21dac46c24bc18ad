"""The plan PostgreSQL keeps for a prepared statement, for tests that hold a read to its index.

asyncpg prepares every statement, and after a few runs PostgreSQL may keep a generic plan (made without the
arguments' values) for good: a plan that is cheap while a table is small can grow with it. These helpers force the
generic plan and list what it reads."""

from __future__ import annotations

import json

import asyncpg

# Counters of ten years of two branches' offices, in every cell and grain, as reporting's consumer keeps them
# (rm_counts), for plans made on a table of some size.
TEN_YEARS_OF_COUNTERS = """
INSERT INTO rm_counts (tenant, office, year, grain, bucket, figure, key, n)
SELECT t, o, y, g, make_date(2017 + b, 1 + b % 12, 1), f, '', 1
FROM unnest(ARRAY['BE', 'NL']) t, unnest(ARRAY['*', 'a', 'b', 'c', 'd', 'e']) o,
     unnest(ARRAY[0, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]::int2[]) y,
     unnest(ARRAY['d', 'm', 'y']) g, generate_series(0, 9) b,
     unnest(ARRAY['registered', 'refused', 'duos_formed', 'positive_exit']) f
"""


async def generic_plan(con: asyncpg.Connection, query: str, types: tuple[str, ...], arguments: tuple[str, ...]) -> dict:
    """The generic plan of `query` (parameters of SQL `types`, none: PostgreSQL infers them; run with the SQL literals
    `arguments`), as JSON. Only explained, never run: a statement that writes writes nothing."""
    await con.execute("SET plan_cache_mode = force_generic_plan")
    declared = f" ({', '.join(types)})" if types else ""
    await con.execute(f"PREPARE planned{declared} AS {query}")
    try:
        explained = await con.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE planned ({', '.join(arguments)})")
    finally:
        await con.execute("DEALLOCATE planned")
        await con.execute("RESET plan_cache_mode")
    return json.loads(explained)[0]["Plan"]


def scanned_relations(plan: dict) -> list[tuple[str, str, str]]:
    """(node type, relation or index, index condition) of every node of a JSON plan that reads one."""
    found = []
    if "Relation Name" in plan or "Index Name" in plan:
        found.append((plan["Node Type"], plan.get("Index Name") or plan["Relation Name"], plan.get("Index Cond", "")))
    for child in plan.get("Plans", []):
        found.extend(scanned_relations(child))
    return found
