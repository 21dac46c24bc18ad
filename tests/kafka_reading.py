"""Reading a topic back in tests, with a deadline instead of a sleep."""

from __future__ import annotations

import time

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


async def group_caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """Whether `group` has committed offsets up to the end of every partition of `topic`."""
    from aiokafka import TopicPartition

    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        await reader.topics()  # loads the cluster's metadata, partitions included
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        ends = await reader.end_offsets(partitions)
        for tp in partitions:
            if ends[tp] > (await reader.committed(tp) or 0):
                return False
        return bool(partitions)
    finally:
        await reader.stop()


async def partition_counts(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """How many partitions the broker has for each topic (0 for one it does not have)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described}
