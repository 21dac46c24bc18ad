"""Open-loop load on intake: registrations sent at a fixed rate by one client with pooled connections, whatever the
answers' latency, and what went wrong: connection errors (reset, refused, closed mid-answer) and ERROR lines in the
service's log.

Run: `.venv/bin/python -m bench.open_loop [RATE] [SECONDS]` (defaults 200/s for 30 s) on an embedded stack of its
own. Prints the counts; tests/integration/test_open_loop_load.py runs a shorter load and asserts there are none.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.common import Servers
from bench.services import Running, mentee_body, running


@dataclass
class LoadOutcome:
    """What an open-loop run saw: answers by status, transport errors by type, the service's ERROR log lines."""

    sent: int
    seconds: float
    answered_s: float = 0.0  # from the first send until the last answer: the service's throughput under the load
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_lines: list[str] = field(default_factory=list)

    @property
    def achieved_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def open_loop(services: Running, rate: float, seconds: float, connections: int = 64) -> LoadOutcome:
    """Registrations at `rate` per second for `seconds` through one pooled client; every answer awaited.

    The client is aiohttp's: httpx's pool spends about 2 ms of CPU a request (docs/performance.md, the demo's
    time), so one httpx client could not send 200 a second and the load was the client's, not intake's."""
    count = max(1, round(rate * seconds))
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        services.urls["intake"], headers=services.headers, connector=connector, timeout=timeout
    ) as client:

        async def register() -> None:
            try:
                async with client.post("/mentees", json=mentee_body()) as answer:
                    await answer.read()
                    statuses[answer.status] += 1
            except (aiohttp.ClientError, TimeoutError) as err:  # a reset, a refusal, a connection closed mid-answer
                errors[type(err).__name__] += 1

        started = time.perf_counter()
        sends = []
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sends.append(asyncio.create_task(register()))
        sent_s = time.perf_counter() - started
        await asyncio.gather(*sends)
        answered_s = time.perf_counter() - started
    return LoadOutcome(count, sent_s, answered_s, statuses, errors, error_lines(services.logs / "intake.log"))


def error_lines(log: Path) -> list[str]:
    """The lines of a service's JSON log at level ERROR or above."""
    found = []
    for line in log.read_text().splitlines() if log.exists() else []:
        try:
            level = json.loads(line).get("level", "")
        except ValueError:
            found.append(line)  # not a structured line: a traceback printed past the logger
            continue
        if level in ("error", "critical", "exception"):
            found.append(line)
    return found


async def _main(servers: Servers, rate: float, seconds: float) -> None:
    async with running(servers, ("intake",)) as services:
        outcome = await open_loop(services, rate, seconds)
    print(f"sent {outcome.sent} at {outcome.achieved_per_s:.0f}/s: answers {dict(outcome.statuses)}")
    print(f"all answered after {outcome.answered_s:.1f} s: {outcome.sent / outcome.answered_s:.0f} registrations/s")
    print(f"connection errors: {dict(outcome.errors) or 0}; ERROR log lines: {len(outcome.error_lines)}")
    for line in outcome.error_lines[:5]:
        print("  ", line[:300])


if __name__ == "__main__":
    from bench.runner import embedded_servers

    with embedded_servers() as servers:
        asyncio.run(_main(servers, *(float(a) for a in sys.argv[1:3] or ("200", "30"))))
