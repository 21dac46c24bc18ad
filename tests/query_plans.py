"""The plan PostgreSQL keeps for a prepared statement, for tests that hold a read to its index.

asyncpg prepares every statement, and after a few runs PostgreSQL may keep a generic plan (made without the
arguments' values) for good: a plan that is cheap while a table is small can grow with it. These helpers force the
generic plan and list what it reads."""

from __future__ import annotations

import json

import asyncpg


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
