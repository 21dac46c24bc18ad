"""`duo parked list | replay SERVICE`: events and messages a consumer parked, and applying them once fixed."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json

# Each consuming service's consumer factory, `module:function(pool) -> Consumer`.
CONSUMERS = {
    "reporting": "services.reporting.adapters.projection:build_consumer",
    "matching": "services.matching.app:build_pool_consumer",
    "tracking": "services.tracking.app:build_duo_consumer",
}


async def _with_consumer(service: str, action: str) -> int:
    from shared.config import load_service_settings
    from shared.consuming.subscriber import replay_parked_messages
    from shared.events.keyfiles import event_keyring
    from shared.eventstore.postgres import apply_schema, create_pool
    from shared.topics import declared_topics

    module, function = CONSUMERS[service].split(":")
    settings = load_service_settings(service)
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await apply_schema(pool)
        consumer = getattr(importlib.import_module(module), function)(pool)
        if action == "replay":
            # Invalid messages first: one that is valid now (its event type known since an upgrade, say)
            # goes through the consumer, or becomes a parked event; one refused for its signature is verified
            # again (against a keyring that now has its key, say); then the parked events.
            producers = {t.name: t.producer for t in declared_topics(settings.topic_prefix)}
            messages_resolved, messages_still = await replay_parked_messages(
                pool, consumer, producers, event_keyring(), settings.region
            )
            resolved, still = await consumer.replay_parked()
            resolved, still = resolved + messages_resolved, still + messages_still
            print(f"{service}: {resolved} parked events applied, {still} still parked")
            return 0 if still == 0 else 4
        async with pool.acquire() as con:
            events = await con.fetch(
                "SELECT event_id, event_type, reason, parked_at FROM parked_events WHERE consumer = $1 "
                "ORDER BY parked_at",
                consumer.name,
            )
            # Never the value: only where the message was and why it was parked.
            messages = await con.fetch(
                'SELECT topic, partition, "offset", reason, parked_at FROM parked_messages WHERE consumer = $1 '
                "ORDER BY parked_at",
                consumer.name,
            )
        for row in events:
            print(json.dumps({"kind": "event", **{k: str(v) for k, v in dict(row).items()}}))
        for row in messages:
            print(json.dumps({"kind": "message", **{k: str(v) for k, v in dict(row).items()}}))
        return 0
    finally:
        await pool.close()


def _parked(args: argparse.Namespace) -> int:
    return asyncio.run(_with_consumer(args.service, args.action))


def add_parked_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo parked` to the `duo` parser."""
    parked = sub.add_parser(
        "parked", help="events a consumer parked because they could not apply, and messages that were no valid event"
    )
    parked.add_argument("action", choices=["list", "replay"], help="list them, or apply them again (after a fix)")
    parked.add_argument("service", choices=sorted(CONSUMERS))
    parked.set_defaults(handler=_parked)
