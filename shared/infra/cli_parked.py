"""`duo parked list | replay SERVICE`: events a consumer could not apply, and applying them once fixed."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json

# Each consuming service's consumer factory, `module:function(pool) -> Consumer`.
CONSUMERS = {
    "reporting": "services.reporting.adapters.projection:build_consumer",
    "matching": "services.matching.app:build_pool_consumer",
}


async def _with_consumer(service: str, action: str) -> int:
    from shared.config import load_service_settings
    from shared.eventstore.postgres import apply_schema, create_pool

    module, function = CONSUMERS[service].split(":")
    pool = await create_pool(load_service_settings(service).database_url, min_size=1, max_size=2)
    try:
        await apply_schema(pool)
        consumer = getattr(importlib.import_module(module), function)(pool)
        if action == "replay":
            resolved, still = await consumer.replay_parked()
            print(f"{service}: {resolved} parked events applied, {still} still parked")
            return 0 if still == 0 else 4
        async with pool.acquire() as con:
            rows = await con.fetch(
                "SELECT event_id, event_type, reason, parked_at FROM parked_events WHERE consumer = $1 "
                "ORDER BY parked_at",
                consumer.name,
            )
        for row in rows:
            print(json.dumps({k: str(v) for k, v in dict(row).items()}))
        return 0
    finally:
        await pool.close()


def _parked(args: argparse.Namespace) -> int:
    return asyncio.run(_with_consumer(args.service, args.action))


def add_parked_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo parked` to the `duo` parser."""
    parked = sub.add_parser("parked", help="events a consumer parked because they could not apply")
    parked.add_argument("action", choices=["list", "replay"], help="list them, or apply them again (after a fix)")
    parked.add_argument("service", choices=sorted(CONSUMERS))
    parked.set_defaults(handler=_parked)
