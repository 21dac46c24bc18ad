"""Freshness: from a registration's HTTP answer to its fact being visible to reporting's figures, at a steady rate.

Intake and reporting run as real HTTP servers (bench/services.py). Registrations are sent at a fixed rate
(open loop: one every 1/rate seconds, whatever the answers' latency) for a bounded time. A poller asks
reporting's ledger every POLL_S which of the answered registrations' streams it holds: a figure is computed
from the ledger as it is when it is read, so a fact in the ledger is in the next figure read. Freshness of one
command = when the poller first saw it - when its HTTP answer arrived. The path measured: intake's commit,
the outbox relay (NOTIFY, read, seal, send, broker acknowledgement), the broker, reporting's consumer (fetch,
dedupe record and ledger row in one transaction).
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from bench.common import Result, Servers, at_most, percentile
from bench.services import Running, ledger_has, mentee_body, running

RATES = (50, 200)
SECONDS_AT_SCALE_1 = 60.0
POLL_S = 0.005
TARGET_P99_MS = 100.0


async def one_run(services: Running, rate: float, seconds: float) -> dict[str, float]:
    """Registrations at `rate` per second for `seconds`; freshness percentiles in ms and the achieved rate."""
    answered: dict[str, float] = {}  # stream -> when its answer arrived
    freshness: list[float] = []
    failures = 0
    con = await asyncpg.connect(services.databases["reporting"])
    done = asyncio.Event()

    async def poll() -> None:
        while not (done.is_set() and not answered):
            if answered:
                seen = await ledger_has(con, list(answered))
                now = time.perf_counter()
                for stream in seen:
                    freshness.append(now - answered.pop(stream))
            await asyncio.sleep(POLL_S)

    async with services.client("intake") as client:

        async def register() -> None:
            nonlocal failures
            try:
                answer = await client.post("/mentees", json=mentee_body())
            except httpx.HTTPError:  # refused or dropped under load: counted, never fatal
                failures += 1
                return
            if answer.status_code != 201:
                failures += 1
                return
            answered[f"mentee-{answer.json()['mentee_id']}"] = time.perf_counter()

        poller = asyncio.create_task(poll())
        count = max(1, round(rate * seconds))
        started = time.perf_counter()
        sends = []
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sends.append(asyncio.create_task(register()))
        await asyncio.gather(*sends)
        sent_s = time.perf_counter() - started
        done.set()
        try:
            await asyncio.wait_for(poller, 60)
        finally:
            await con.close()
    ms = [f * 1000 for f in freshness]
    return {
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else float("nan"),
        "achieved_per_s": count / sent_s,
        "failures": failures,
        "samples": len(ms),
    }


async def warm_up(services: Running) -> None:
    """One registration through to the ledger: every consumer has joined and every connection is open."""
    await one_run(services, 5, 1)


async def _measure(servers: Servers, scale: float, repeat: int) -> Result:
    result = Result("freshness")
    seconds = max(2.0, SECONDS_AT_SCALE_1 * scale)
    rates = [max(r / 10, r * min(1.0, scale * 10)) for r in RATES]  # 50 and 200 from scale 0.1 up
    async with running(servers, ("intake", "reporting")) as services:
        await warm_up(services)
        for _ in range(repeat):
            for rate in rates:
                figures = await one_run(services, rate, seconds)
                label = f"{rate:g}/s"
                result.figure(f"freshness p50 at {label}", "ms", False).add(figures["p50_ms"])
                result.figure(f"freshness p99 at {label}", "ms", False).add(figures["p99_ms"])
                result.figure(f"freshness max at {label}", "ms", False).add(figures["max_ms"])
                result.figure(f"achieved rate at {label}", "commands/s").add(figures["achieved_per_s"])
                result.figure(f"failed commands at {label}", "commands", False).add(figures["failures"])
    top = f"{rates[-1]:g}/s"
    result.targets.append(
        at_most(f"freshness p99 at {top}", result.median(f"freshness p99 at {top}"), TARGET_P99_MS, "ms")
    )
    result.notes = {"seconds_per_rate": seconds, "rates_per_s": rates, "poll_s": POLL_S}
    return result


def measure(servers: Servers, scale: float = 1.0, repeat: int = 3) -> Result:
    return asyncio.run(_measure(servers, scale, repeat))
