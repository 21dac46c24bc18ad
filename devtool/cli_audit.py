"""`duo audit verify SERVICE [--topic]`: recompute a store's hash chain, and check its topic against it."""

from __future__ import annotations

import argparse
import asyncio
import time

PUBLISHING = ("intake", "matching", "tracking")
IDLE_S = 5.0  # the topic is read until every chained event was seen, or nothing new came for this long


async def _verify(service: str, with_topic: bool) -> int:
    import asyncpg

    from shared.config import load_service_settings
    from shared.eventstore.chain import verify
    from shared.eventstore.postgres import init_connection

    settings = load_service_settings(service)
    con = await asyncpg.connect(settings.database_url)
    try:
        await init_connection(con)
        result = await verify(con)
        print(f"{service}: {result}")
        if not result.intact:
            return 1
        if with_topic:
            stored = {
                str(r["event_id"]): r["chain_hash"]
                for r in await con.fetch("SELECT event_id, chain_hash FROM event_chain")
            }
            problem = await _check_topic(settings, stored)
            print(
                f"{service} topic: {problem or f'every published event agrees with the store ({len(stored)} chained)'}"
            )
            return 1 if problem else 0
        return 0
    finally:
        await con.close()


async def _check_topic(settings, stored: dict[str, str]) -> str | None:
    """The first message whose chain hash disagrees with the store, or names an event the store lacks."""
    from aiokafka import AIOKafkaConsumer

    from shared.kafka import aiokafka_options
    from shared.topics import topic_of

    topic = topic_of(settings.service, settings.topic_prefix)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **aiokafka_options(settings.kafka_security),
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        last_new = time.monotonic()
        # Not from end offsets: a broker may under-report them; the store says what must be there.
        while seen < set(stored) and time.monotonic() - last_new < IDLE_S:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                    event_id, chain_hash = headers.get("ce_id"), headers.get("ce_chainhash")
                    where = f"partition {record.partition} offset {record.offset} (event {event_id})"
                    if event_id not in stored:
                        return f"{where}: the topic holds an event the store does not have"
                    if chain_hash is not None and chain_hash != stored[event_id]:
                        return f"{where}: its chain hash differs from the store's: one of them was altered"
                    if event_id not in seen:
                        seen.add(event_id)
                        last_new = time.monotonic()
    finally:
        await consumer.stop()
    missing = len(set(stored) - seen)
    return f"{missing} chained events were not found on the topic" if missing else None


def _audit(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args.service, args.topic))


def add_audit_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo audit` to the `duo` parser."""
    audit = sub.add_parser("audit", help="tamper evidence: verify a store's hash chain (and its topic)")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="recompute the hash chain; print 'verified N events' or the break")
    verify.add_argument("service", choices=PUBLISHING)
    verify.add_argument("--topic", action="store_true", help="also check the service's topic against the store")
    verify.set_defaults(handler=_audit)
