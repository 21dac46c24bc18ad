"""Benchmark: mentee registrations through intake's HTTP API, on the embedded stack.

Each registration checks eligibility and duplicates, and writes the event, its outbox
row, the personal data, the read model and the idempotency key in one transaction.
Run: `.venv/bin/python bench/intake_registrations.py [COUNT] [CONCURRENCY]`. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devtool import stack
from services.intake.api.examples import MENTEE_EXAMPLE
from services.intake.app import create_app
from shared.config import ServiceSettings
from shared.endpoints import InfraEndpoints

EXAMPLE_DAY = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the example's applicant is eligible on this day


async def measure(endpoints: InfraEndpoints, count: int, concurrency: int) -> None:
    settings = ServiceSettings("intake", endpoints.database_url("duo_intake"), endpoints.kafka_bootstrap)
    app = create_app(settings, clock=lambda: EXAMPLE_DAY)
    latencies: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers={"X-Tenant": "BE"}
        ) as client:

            async def register(n: int) -> None:
                for _ in range(n):
                    body = MENTEE_EXAMPLE | {"email": f"{uuid.uuid4().hex}@example.org"}
                    started = time.perf_counter()
                    answer = await client.post("/mentees", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                    latencies.append(time.perf_counter() - started)
                    answer.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(register(count // concurrency) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            runtime = app.state.runtime
            drain_started = time.perf_counter()
            while await runtime.outbox_pending():
                await asyncio.sleep(0.01)
            drained = time.perf_counter() - drain_started
    done = len(latencies)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"registrations: {done} with {concurrency} concurrent clients in {elapsed:.2f} s: {done / elapsed:,.0f}/s")
    print(f"latency:       p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms")
    print(f"outbox:        on Kafka {drained:.2f} s after the last answer")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with tempfile.TemporaryDirectory() as home:
        endpoints = stack.up(Path(home))
        try:
            asyncio.run(measure(endpoints, count, concurrency))
        finally:
            stack.down(Path(home))


if __name__ == "__main__":
    main()
