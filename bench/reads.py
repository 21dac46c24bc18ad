"""Reads: every reporting route timed against a large ledger, and a registration's freshness through the API.

Reporting (and intake, for freshness) run as real HTTP servers (bench/services.py). Reporting's ledger and read
models are filled with synthetic programmes (bench/programmes.py: registrations, proposals, duos, meetings, jobs,
endings, surveys, follow-ups over two branches, some facts recorded late), COPYed into the ledger and turned into
read-model rows set-based, as a rebuild does (read_models.fill_read_models). At each size (scale 1: 100,000 then
1,000,000 facts; scale 10 adds 10,000,000) every route is read by 1 and by 8 concurrent readers:
- /stats/mentees, /figures, /figures as of a past day, /plan (a funder), /coordination (a coordinator),
  /history/{duo} and /figures/positive_exit/events (an auditor), the federation's roll-up /figures;
- p50 and p99 latency of each, and reporting's resident memory (now and its peak) after each size.
Then freshness through the API: registrations sent to intake at a fixed rate (open loop) while a reader polls
`GET /stats/mentees` every 20 ms; the k-th registration answered counts as seen once the total has grown by k
(registrations can commit out of order, so this is the time until as many as were answered are counted).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import asyncpg
import httpx

from bench.common import Result, Servers, at_most, percentile, scaled
from bench.programmes import random_history
from bench.services import Running, mentee_body, running
from shared.auth.identity import Identity, Role
from shared.tenancy import Tenant

SIZES_AT_SCALE_1 = (100_000, 1_000_000)
TEN_MILLION_FROM_SCALE = 10.0  # `--scale 10` also fills 10,000,000 facts
FACTS_PER_MENTEE = 14  # bench/programmes.py makes about this many facts per mentee
REQUESTS_AT_SCALE_1 = 10  # per route and number of readers (p99 of 10: the slowest; the run stays under 25 min)
READ_TIMEOUT_S = 300.0  # a slow read is measured, not dropped
READERS = (1, 8)
PAST_DAY = date(2025, 12, 31)
FRESHNESS_RATE = 200
FRESHNESS_SECONDS_AT_SCALE_1 = 10.0
POLL_S = 0.02
TARGET_P99_MS = 50.0
TARGET_FRESHNESS_P99_MS = 150.0
TARGET_RSS_MB = 300.0


async def fill(database_url: str, facts: int, seed: int) -> int:
    """About `facts` more facts of synthetic programmes into the ledger, and their read-model rows; how many."""
    from services.reporting.adapters.projection import LEDGER_COLUMNS, ledger_row
    from services.reporting.adapters.read_models import fill_read_models

    con = await asyncpg.connect(database_url)
    added = 0
    try:
        await con.execute("DROP TABLE IF EXISTS bench_new; CREATE TABLE bench_new (LIKE ledger INCLUDING DEFAULTS)")
        while added < facts:
            mentees = max(1, min(2_000, (facts - added) // FACTS_PER_MENTEE // 2))
            rows = []
            for envelope in random_history(seed + added, mentees):
                *row, data = ledger_row(envelope)
                rows.append((*row, json.dumps(data, default=str)))
            await con.copy_records_to_table("bench_new", records=rows, columns=list(LEDGER_COLUMNS))
            added += len(rows)
        async with con.transaction():
            await con.execute("INSERT INTO ledger SELECT * FROM bench_new")
            await fill_read_models(con, "bench_new")
        await con.execute("DROP TABLE bench_new; ANALYZE")
        return added
    finally:
        await con.close()


def _rss_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def _routes(services: Running, database_url: str) -> dict[str, tuple[dict[str, str], Callable[[], str]]]:
    """Each route's headers and a path maker (histories of random duos)."""
    con = await asyncpg.connect(database_url)
    try:
        duos = [str(r["duo_id"]) for r in await con.fetch("SELECT duo_id FROM rm_duos WHERE tenant = 'BE' LIMIT 500")]
    finally:
        await con.close()
    funder = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))
    auditor = services.token_for(Identity("bench-auditor", Role.AUDITOR, Tenant.BE, None))
    federation = services.token_for(Identity("bench-federation", Role.FEDERATION, None, None))
    rng = random.Random(5)
    return {
        "/stats/mentees": (funder, lambda: "/stats/mentees"),
        "/figures": (funder, lambda: "/figures"),
        "/figures as of a past day": (funder, lambda: f"/figures?as_of={PAST_DAY.isoformat()}"),
        "/plan": (funder, lambda: "/plan"),
        "/coordination": (services.headers, lambda: "/coordination"),
        "/history/{duo}": (auditor, lambda: f"/history/{rng.choice(duos)}"),
        "/figures/positive_exit/events": (auditor, lambda: "/figures/positive_exit/events"),
        "federation roll-up /figures": (federation, lambda: "/figures"),
    }


async def time_route(client: httpx.AsyncClient, headers: dict[str, str], path: Callable[[], str], readers: int, n: int):
    """`n` reads by `readers` concurrent readers; each read's latency in ms."""
    latencies: list[float] = []

    async def reader(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            answer = await client.get(path(), headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"{path()} answered {answer.status_code}: {answer.text[:200]}")

    await asyncio.gather(*(reader(max(1, n // readers)) for _ in range(readers)))
    return latencies


async def freshness(services: Running, rate: float, seconds: float) -> dict[str, float]:
    """Registrations at `rate` for `seconds`; the time from each 201 until /stats/mentees counts as many."""
    answered: list[float] = []
    seen_at: list[float] = []
    failures = 0
    funder = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))
    async with services.client("intake") as intake, services.client("reporting") as reporting:

        async def total() -> int:
            return int((await reporting.get("/stats/mentees", headers=funder)).json()["total"])

        base = await total()
        done = asyncio.Event()

        async def poll() -> None:
            counted = 0
            while not done.is_set() or counted < len(answered):
                now_total = await total() - base
                now = time.perf_counter()
                while counted < min(now_total, len(answered)):
                    seen_at.append(now)
                    counted += 1
                await asyncio.sleep(POLL_S)

        async def register() -> None:
            nonlocal failures
            try:
                answer = await intake.post("/mentees", json=mentee_body())
            except httpx.HTTPError:
                failures += 1
                return
            if answer.status_code != 201:
                failures += 1
                return
            answered.append(time.perf_counter())

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
        await asyncio.wait_for(poller, 120)
    ms = [(seen - answer) * 1000 for seen, answer in zip(seen_at, sorted(answered), strict=False)]
    return {
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "achieved_per_s": count / sent_s,
        "failures": failures,
    }


async def _measure(servers: Servers, scale: float, repeat: int) -> Result:
    result = Result("reads")
    sizes = [scaled(size, scale, 200) for size in SIZES_AT_SCALE_1]
    if scale >= TEN_MILLION_FROM_SCALE:
        sizes.append(10_000_000)
    requests = max(8, scaled(REQUESTS_AT_SCALE_1, scale))
    async with running(servers, ("intake", "reporting")) as services:
        database = services.databases["reporting"]
        pid = services.pids["reporting"]
        facts = 0
        worst_p99: dict[int, float] = {}
        for size in sizes:
            started = time.perf_counter()
            facts += await fill(database, size - facts, seed=facts + 1)
            result.figure(f"fill to {size:,} facts", "s", False).add(time.perf_counter() - started)
            print(f"reads: filled {facts:,} facts in {time.perf_counter() - started:.0f} s", flush=True)
            routes = await _routes(services, database)
            async with services.client("reporting", connections=16) as client:
                client.timeout = httpx.Timeout(READ_TIMEOUT_S)
                for name, (headers, path) in routes.items():
                    await time_route(client, headers, path, 1, 2)  # warm: connections, plans, caches
                    for readers in READERS:
                        for _ in range(repeat):
                            ms = await time_route(client, headers, path, readers, requests)
                            result.figure(f"{name}, {readers} reader(s), {size:,} facts: p50", "ms", False).add(
                                percentile(ms, 50)
                            )
                            p99 = percentile(ms, 99)
                            print(f"reads: {name}, {readers} reader(s), {size:,} facts: p99 {p99:.0f} ms", flush=True)
                            result.figure(f"{name}, {readers} reader(s), {size:,} facts: p99", "ms", False).add(p99)
                            worst_p99[size] = max(worst_p99.get(size, 0.0), p99)
            rss, peak = _rss_mb(pid)
            print(f"reads: reporting RSS {rss:.0f} MiB, peak {peak:.0f} MiB at {size:,} facts", flush=True)
            result.figure(f"reporting RSS after {size:,} facts", "MiB", False).add(rss)
            result.figure(f"reporting peak RSS after {size:,} facts", "MiB", False).add(peak)
        seconds = max(2.0, FRESHNESS_SECONDS_AT_SCALE_1 * scale)
        rate = max(10.0, FRESHNESS_RATE * min(1.0, scale * 10))
        for _ in range(repeat):
            figures = await freshness(services, rate, seconds)
            label = f"{rate:g}/s with {sizes[-1]:,} facts"
            result.figure(f"freshness through the API p50 at {label}", "ms", False).add(figures["p50_ms"])
            result.figure(f"freshness through the API p99 at {label}", "ms", False).add(figures["p99_ms"])
            result.figure(f"intake's achieved rate at {label}", "commands/s").add(figures["achieved_per_s"])
            result.figure(f"failed registrations at {label}", "commands", False).add(figures["failures"])
        largest = sizes[-1]
        result.targets.append(at_most(f"worst route p99 at {largest:,} facts", worst_p99[largest], TARGET_P99_MS, "ms"))
        result.targets.append(
            at_most(
                f"p99 growth from {sizes[0]:,} to {largest:,} facts",
                worst_p99[largest] / worst_p99[sizes[0]],
                2.0,
                "x",
            )
        )
        result.targets.append(
            at_most(
                "reporting's peak RSS",
                result.median(f"reporting peak RSS after {largest:,} facts"),
                TARGET_RSS_MB,
                "MiB",
            )
        )
        p99 = result.median(f"freshness through the API p99 at {rate:g}/s with {largest:,} facts")
        result.targets.append(at_most("freshness through the API p99", p99, TARGET_FRESHNESS_P99_MS, "ms"))
        result.notes = {"sizes": sizes, "facts": facts, "requests_per_route": requests, "poll_s": POLL_S}
    return result


def measure(servers: Servers, scale: float = 1.0, repeat: int = 1) -> Result:
    return asyncio.run(_measure(servers, scale, repeat))
