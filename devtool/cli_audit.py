"""`duo audit verify SERVICE [--store-only]`: recompute a store's keyed hash chain, and check it against its topic.

The topic is the chain's anchor outside the store: every published event carries the chain's hash at it
(`ce_chainhash`). An event cut from the end of the store (with its chain row) still stands on the topic,
sealed with the service's key: the check names it, as it names an event deleted from the middle. Every message on
the topic must also carry the service's signature (shared/events/signing.py): the first that does not is named.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

PUBLISHING = ("intake", "matching", "tracking")
IDLE_S = 5.0  # the topic is read to its end, or until nothing new came for this long


async def _verify(service: str, store_only: bool) -> int:
    import asyncpg

    from shared.config import load_service_settings
    from shared.eventstore.chain import verify
    from shared.eventstore.chain_key import configured_chain_key
    from shared.eventstore.postgres import init_connection

    settings = load_service_settings(service)
    key = configured_chain_key(service, os.environ)
    con = await asyncpg.connect(settings.database_url)
    try:
        await init_connection(con)
        result = await verify(con, key)
        print(f"{service}: {result}")
        if store_only:
            return 0 if result.intact else 1
        stored = {
            str(r["event_id"]): r["chain_hash"] for r in await con.fetch("SELECT event_id, chain_hash FROM event_chain")
        }
    finally:
        await con.close()
    problem = await _check_topic(settings, stored, key)
    print(f"{service} topic: {problem or f'every published event agrees with the store ({len(stored)} chained)'}")
    return 1 if problem or not result.intact else 0


async def _check_topic(settings, stored: dict[str, str], key: bytes) -> str | None:
    """The first message not signed by the service, whose chain hash disagrees with the store, or that names an
    event the store lacks (deleted from it, when the service's key sealed it; forged otherwise); None when the
    topic agrees."""
    records, unsigned = await _read_topic(settings, set(stored))
    if unsigned is not None:
        return unsigned
    known_hashes = {"0" * 64, *stored.values(), *(chain_hash for _, chain_hash, _ in records.values() if chain_hash)}
    for event_id, (where, chain_hash, value_and_headers) in records.items():
        if event_id in stored:
            if chain_hash is not None and chain_hash != stored[event_id]:
                return f"{where}: its chain hash differs from the store's: one of them was altered"
        elif _sealed_by_key(key, chain_hash, value_and_headers, known_hashes):
            return (
                f"{where}: the store lacks this event, which the service sealed and published: deleted from the store"
            )
        else:
            return f"{where}: the topic holds an event the store does not have, not sealed with the service's key"
    missing = len(set(stored) - set(records))
    return f"{missing} chained events were not found on the topic" if missing else None


def _sealed_by_key(key: bytes, chain_hash: str | None, value_and_headers, known_hashes: set[str]) -> bool:
    """Whether `chain_hash` is the service's link of this event after some hash of the chain."""
    from shared.events.wire import MalformedMessage, from_kafka
    from shared.eventstore.chain import link

    if chain_hash is None:
        return False
    try:
        envelope = from_kafka(*value_and_headers)
    except (MalformedMessage, ValueError):
        return False
    return any(link(key, previous, envelope) == chain_hash for previous in known_hashes)


async def _read_topic(settings, expected: set[str]) -> tuple[dict[str, tuple[str, str | None, tuple]], str | None]:
    """Every event on the service's topic: event id -> (where, chain hash, (value, headers)); and the first message,
    of every copy read, that the service's signature does not vouch for (with why), if any."""
    from aiokafka import AIOKafkaConsumer

    from shared.events.keyfiles import event_keyring
    from shared.kafka import aiokafka_options
    from shared.topics import topic_of

    topic = topic_of(settings.service, settings.topic_prefix)
    keyring, producers = event_keyring(), {topic: settings.service}
    unsigned: str | None = None
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **aiokafka_options(settings.kafka_security),
    )
    await consumer.start()
    records: dict[str, tuple[str, str | None, tuple]] = {}
    try:
        last_new = time.monotonic()
        # Until every chained event was seen and the end is reached (a broker may under-report its end
        # offsets: the store says what must be there at the least), or nothing new came for IDLE_S.
        while time.monotonic() - last_new < IDLE_S:
            if expected <= set(records) and await _at_end(consumer):
                break
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
                    event_id = headers.get("ce_id", f"without id at offset {record.offset}")
                    where = f"partition {record.partition} offset {record.offset} (event {event_id})"
                    refusal = keyring.refusal(topic, headers, record.value or b"", producers)
                    if refusal and unsigned is None:
                        unsigned = f"{where}: not vouched for by {settings.service}'s signature: {refusal}"
                    if event_id not in records:
                        records[event_id] = (where, headers.get("ce_chainhash"), (record.value, record.headers))
                        last_new = time.monotonic()
    finally:
        await consumer.stop()
    return records, unsigned


async def _at_end(consumer) -> bool:
    partitions = consumer.assignment()
    if not partitions:
        return False
    ends = await consumer.end_offsets(list(partitions))
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


def _audit(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args.service, args.store_only))


def add_audit_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo audit` to the `duo` parser."""
    audit = sub.add_parser("audit", help="tamper evidence: verify a store's keyed hash chain against its topic")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="recompute the hash chain and check the topic; print 'verified N events' or the break"
    )
    verify.add_argument("service", choices=PUBLISHING)
    verify.add_argument(
        "--store-only", action="store_true", help="only the store's chain: no cut tail or deleted event is named"
    )
    verify.add_argument("--topic", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for scripts
    verify.set_defaults(handler=_audit)
