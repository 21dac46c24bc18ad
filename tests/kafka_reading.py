"""Reading a topic back in tests, with a deadline instead of a sleep."""

from __future__ import annotations

import time

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient


async def read_topic(bootstrap: str, topic: str, expected: int, deadline_s: float = 30) -> list[ConsumerRecord]:
    """Every record of `topic` from the start, once at least `expected` arrived (fails at the deadline)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + deadline_s
        while len(records) < expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: {len(records)} of {expected} records within {deadline_s} s")
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        # Whatever else is already there (duplicates would show up here).
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    finally:
        await consumer.stop()
    return records


def consumed_through(service_url: str, records: list[ConsumerRecord]) -> bool:
    """Whether the service's consumers processed every one of `records` (which the test read itself), from the
    last offset per partition its /health reports: no end offsets, which the embedded broker under-reports."""
    body = httpx.get(f"{service_url}/health", timeout=10).json()
    done = {
        (p["topic"], p["partition"]): p["last_offset"]
        for consumer in body["checks"]["consumers"]
        for p in consumer["partitions"]
        if p["last_offset"] is not None
    }
    return all(done.get((r.topic, r.partition), -1) >= r.offset for r in records)


async def partition_counts(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """How many partitions the broker has for each topic (0 for one it does not have)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described}
