"""Reading a topic back in tests, with a deadline instead of a sleep."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, ConsumerRecord


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
