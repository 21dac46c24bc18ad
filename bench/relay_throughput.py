"""Benchmark: event store appends and outbox relay throughput on the embedded stack.

Run: `.venv/bin/python bench/relay_throughput.py [EVENTS]`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from devtool import stack
from shared.endpoints import InfraEndpoints
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM
from shared.eventstore.postgres import PostgresEventStore, apply_schema, create_pool
from shared.outbox.relay import OutboxRelay
from shared.tenancy import Tenant
from shared.topics import TopicSpec, ensure_topics


async def measure(endpoints: InfraEndpoints, events: int, writers: int) -> None:
    pool = await create_pool(endpoints.database_url("duo_intake"), min_size=writers, max_size=writers)
    await apply_schema(pool)
    store = PostgresEventStore(pool)
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="bench")
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    await ensure_topics(endpoints.kafka_bootstrap, [TopicSpec(topic, "bench", 6, 1)])

    async def writer(count: int) -> None:
        for _ in range(count):
            event = MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q", languages=("nl",))
            await store.append(f"mentee-{event.mentee_id}", NO_STREAM, [NewEvent(event, meta)])

    started = time.perf_counter()
    await asyncio.gather(*(writer(events // writers) for _ in range(writers)))
    append_s = time.perf_counter() - started
    written = (events // writers) * writers

    relay = OutboxRelay(endpoints.database_url("duo_intake"), endpoints.kafka_bootstrap, topic, "intake")
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.published < written:
        await asyncio.sleep(0.01)
    relay_s = time.perf_counter() - started
    task.cancel()
    await pool.close()
    print(f"appends:  {written} events, {writers} concurrent writers, {written / append_s:,.0f} events/s")
    print(
        f"relay:    {written} events published from a full outbox in {relay_s:.2f} s, {written / relay_s:,.0f} events/s"
    )


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as home:
        endpoints = stack.up(Path(home))
        try:
            asyncio.run(measure(endpoints, events, writers=8))
        finally:
            stack.down(Path(home))


if __name__ == "__main__":
    main()
