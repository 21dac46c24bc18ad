"""Reads: every reporting route timed against a large ledger, and a registration's freshness through the API.

Reporting (and intake, for freshness) run as real HTTP servers (bench/services.py). Reporting's ledger and read
models are filled with synthetic programmes (bench/programmes.py: registrations, proposals, duos, meetings, jobs,
endings, surveys, follow-ups over two branches, some facts recorded late): one block generated in Python, then
copied in SQL with fresh ids and moved back by 0, 4 or 8 years, and by as many more as put it all before today
(`fill`), and turned into read-model rows
set-based, as a rebuild does (read_models.fill_read_models). After each fill the API's counts are compared with a
count of the ledger itself (`figures_match_the_ledger`). At each size (scale 1: 100,000 then
1,000,000 facts; scale 10 adds 10,000,000) every route is read by 1 and by 8 concurrent readers:
- /stats/mentees, /figures, /figures as of a past day, /plan (a funder), /coordination (a coordinator),
  /history/{duo} and /figures/positive_exit/events (an auditor: its first page, and a page from the middle duo of
  the branch on), the federation's roll-up /figures;
- p50 and p99 latency of each, and reporting's resident memory (now and its peak) after each size;
- at the second size (1,000,000 facts at scale 1), the funder's full dashboard page in headless Chromium
  (bench/browser.py): from asking for the page until every panel and chart is drawn, first and later loads.
Then freshness through the API: registrations sent to intake at a fixed rate (open loop) while a reader polls
`GET /stats/mentees` every 20 ms; the k-th registration answered counts as seen once the total has grown by k
(registrations can commit out of order, so this is the time until as many as were answered are counted).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import aiohttp
import asyncpg

from bench.common import Result, Servers, at_most, percentile, scaled
from bench.programmes import random_history
from bench.services import Running, mentee_body, running
from shared.auth.identity import Identity, Role
from shared.tenancy import TIMEZONES, Tenant

SIZES_AT_SCALE_1 = (100_000, 1_000_000)
TEN_MILLION_FROM_SCALE = 10.0  # `--scale 10` also fills 10,000,000 facts
FACTS_PER_MENTEE = 14  # bench/programmes.py makes about this many facts per mentee
REQUESTS_AT_SCALE_1 = 10  # per route and number of readers (p99 of 10: the slowest; the run stays under 25 min)
READ_TIMEOUT_S = 300.0  # a slow read is measured, not dropped
READERS = (1, 8)
PAST_YEARS = 2  # "/figures as of a past day": the end of the year this long before the ledger's last fact
FRESHNESS_RATE = 200
FRESHNESS_SECONDS_AT_SCALE_1 = 10.0
WARM_READS_PER_READER = 6  # a route's reads before it is timed, per concurrent reader
WARM_UP_S = 2.0  # registrations at the rate before freshness is measured, not counted
POLL_S = 0.02
TARGET_P99_MS = 50.0
TARGET_FRESHNESS_P99_MS = 150.0
TARGET_RSS_MB = 300.0
DASHBOARD_LOADS = 4
TARGET_DASHBOARD_MS = 1000.0


# Filling: one block of programmes generated in Python (BLOCK_FACTS at most), then copied in SQL as often as the size
# asks, each copy with fresh ids and, one copy in three each, its dates ERA_YEARS or twice that earlier: a
# programme of about ten years, of the block's offices, its density growing with the size. All of it before today, as
# a ledger is (a fact is recorded when it is told): the block's own dates reach a few years ahead (its late facts), so
# every copy is also moved back by as many times ERA_YEARS as that takes. With facts ahead of today, the lists as of
# today held every listing those facts would end (at 10,000,000 facts, 8,000 blocks a list read to sort them).
BLOCK_FACTS = 100_000
ERAS = 3
ERA_YEARS = 4  # a multiple of 4: a 29 February stays a date
CHUNK_COPIES = 10  # copies per transaction (about 1,000,000 facts at the full block)
_UUID = "[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"


def _copied(years: range, back: int) -> str:
    """The block's rows as copy `k` ($1 .. $2): every uuid's first 8 hex digits replaced by k's (fresh ids, the
    same within a copy, so a copy's facts refer to each other as the block's do), dates moved back by its era and by
    `back` years (a multiple of ERA_YEARS)."""
    prefix = "lpad(to_hex(k), 8, '0')"
    shift = f"({back} + {ERA_YEARS} * ((k - 1) % {ERAS}))"

    def fresh(column: str) -> str:
        return f"regexp_replace({column}::text, '{_UUID}', {prefix} || '\\1', 'g')"

    data = fresh("b.data")
    for year in years:  # ascending: a year moved back is never moved again
        data = f"replace({data}, '\"{year}-', '\"' || ({year} - {shift}) || '-')"
    moved = f"make_interval(years => {shift})"
    return (
        f"SELECT {fresh('b.event_id')}::uuid, {fresh('b.stream_id')}, b.stream_version, b.event_type, "
        f"b.schema_version, b.tenant, b.office, b.occurred_at - {moved}, b.recorded_at - {moved}, b.actor, "
        f"{fresh('b.correlation_id')}::uuid, {fresh('b.causation_id')}::uuid, ({data})::jsonb "
        "FROM bench_block b, generate_series($1::int, $2::int) AS k"
    )


async def _block(con: asyncpg.Connection, facts: int, seed: int) -> int:
    """The block of generated programmes (made once, about `facts` of at most BLOCK_FACTS); its size."""
    from services.reporting.adapters.projection import LEDGER_COLUMNS, ledger_row

    if await con.fetchval("SELECT to_regclass('bench_block') IS NOT NULL"):
        return int(await con.fetchval("SELECT count(*) FROM bench_block"))
    await con.execute("CREATE TABLE bench_block (LIKE ledger INCLUDING DEFAULTS)")
    wanted, added = min(facts, BLOCK_FACTS), 0
    while added < wanted:
        mentees = max(1, min(2_000, (wanted - added) // FACTS_PER_MENTEE // 2))
        rows = []
        for envelope in random_history(seed + added, mentees):
            *row, data = ledger_row(envelope)
            rows.append((*row, json.dumps(data, default=str)))
        await con.copy_records_to_table("bench_block", records=rows, columns=list(LEDGER_COLUMNS))
        added += len(rows)
    return added


async def fill(database_url: str, facts: int, seed: int) -> int:
    """About `facts` more facts of synthetic programmes into the ledger (copies of the block, whole ones), and their
    read-model rows built set-based as a rebuild builds them; how many."""
    from services.reporting.adapters.projection import LEDGER_COLUMNS
    from services.reporting.adapters.read_models import fill_read_models

    con = await asyncpg.connect(database_url)
    try:
        block = await _block(con, facts, seed)
        years = await con.fetch(
            "SELECT DISTINCT y FROM bench_block, LATERAL regexp_matches(data::text, '\"(\\d{4})-', 'g') AS m, "
            "LATERAL CAST(m[1] AS int) AS y ORDER BY y"
        )
        latest = await con.fetchval("SELECT greatest(max(recorded_at), max(occurred_at)) FROM bench_block")
        copied = _copied(range(min(r["y"] for r in years), max(r["y"] for r in years) + 1), _years_back(latest.date()))
        await con.execute("CREATE TABLE IF NOT EXISTS bench_copies (k int PRIMARY KEY)")
        first = int(await con.fetchval("SELECT coalesce(max(k), 0) + 1 FROM bench_copies"))
        copies = max(1, -(-facts // block))
        columns = ", ".join(LEDGER_COLUMNS)
        for start in range(first, first + copies, CHUNK_COPIES):
            last = min(start + CHUNK_COPIES, first + copies) - 1
            await con.execute("DROP TABLE IF EXISTS bench_new; CREATE TABLE bench_new (LIKE ledger INCLUDING DEFAULTS)")
            async with con.transaction():
                await con.execute(f"INSERT INTO bench_new ({columns}) {copied}", start, last)
                await con.execute("INSERT INTO ledger SELECT * FROM bench_new")
                await fill_read_models(con, "bench_new")
                await con.execute("INSERT INTO bench_copies SELECT generate_series($1::int, $2::int)", start, last)
        await con.execute("DROP TABLE IF EXISTS bench_new")
        # As after any bulk load (PostgreSQL's "Populating a Database"): vacuumed and analyzed now, not by autovacuum
        # in the middle of the timings (its vacuum of a million inserted rows took freshness at 1,000,000 facts from
        # p99 about 220 ms to 370 to 420 ms in the two runs it overlapped: docs/performance.md section 8).
        await con.execute("VACUUM (ANALYZE)")
        # And the fill's dirty pages (up to shared_buffers) written out now, not by a timed checkpoint in the middle of
        # the timings: a write-back no read of a ledger fed a few facts a second meets.
        await con.execute("CHECKPOINT")
        return copies * block
    finally:
        await con.close()


def _years_back(latest: date, today: date | None = None) -> int:
    """The fewest years, a multiple of ERA_YEARS, that move `latest` (and so every fact of the block) before today."""
    today = today or date.today()
    back = 0
    while date(latest.year - back, latest.month, latest.day) >= today:  # a 29 February stays one: 4 years a step
        back += ERA_YEARS
    return back


async def figures_match_the_ledger(services: Running, database_url: str) -> dict[str, tuple[int, int]]:
    """After a fill, what the read models answer through the API against a count of the ledger itself, per figure:
    (API, ledger). Each copy's ids are fresh, so any fact counted twice or lost shows here."""
    funder = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))
    async with services.client("reporting") as client:
        stats = (await client.get("/stats/mentees", headers=funder)).json()
        figures = (await client.get("/figures", headers=funder)).json()["figures"]
    con = await asyncpg.connect(database_url)
    try:
        # /stats/mentees counts every registration recorded; /figures the duos recorded by the end of today (Brussels).
        registered = await con.fetchval(
            "SELECT count(*) FROM ledger WHERE tenant = 'BE' AND event_type = 'MenteeRegistered'"
        )
        formed = await con.fetchval(
            "SELECT count(*) FROM ledger WHERE tenant = 'BE' AND event_type = 'DuoFormed' AND recorded_at < "
            "((now() AT TIME ZONE 'Europe/Brussels')::date + 1)::timestamp AT TIME ZONE 'Europe/Brussels'"
        )
    finally:
        await con.close()
    return {
        "registered mentees": (int(stats["total"]), int(registered)),
        "duos formed": (int(figures["duos_formed"]), int(formed)),
    }


def _dashboard_loads(services: Running, count: int) -> list[float]:
    """The funder's full dashboard page in headless Chromium (bench/browser.py), `count` times: the first with the
    browser's cache empty; each until every panel and chart is drawn; in ms."""
    import tempfile

    from bench.browser import open_chromium, time_dashboard

    token = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))["Authorization"].split()[1]
    with tempfile.TemporaryDirectory(prefix="duo-bench-chromium-") as profile:
        driver = open_chromium(Path(profile))
        try:
            return [time_dashboard(driver, services.urls["reporting"], token) for _ in range(count)]
        finally:
            driver.quit()


def _rss_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def _routes(services: Running, database_url: str) -> dict[str, tuple[dict[str, str], Callable[[], str]]]:
    """Each route's headers and a path maker (histories of random duos)."""
    con = await asyncpg.connect(database_url)
    try:
        duos = [str(r["duo_id"]) for r in await con.fetch("SELECT duo_id FROM rm_duos WHERE tenant = 'BE' LIMIT 500")]
        latest = await con.fetchval("SELECT max(recorded_at) FROM ledger")
        past_day = date(latest.year - PAST_YEARS, 12, 31)
        # The trail's page that starts at the middle duo of the branch (the trail's order is by duo, then fact).
        middle = await con.fetchval(
            "SELECT duo_id FROM rm_duos WHERE tenant = 'BE' ORDER BY duo_id "
            "OFFSET (SELECT count(*) / 2 FROM rm_duos WHERE tenant = 'BE') LIMIT 1"
        )
    finally:
        await con.close()
    deep = _trail_cursor_at(middle or uuid.UUID(int=0), "positive_exit")
    funder = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))
    auditor = services.token_for(Identity("bench-auditor", Role.AUDITOR, Tenant.BE, None))
    federation = services.token_for(Identity("bench-federation", Role.FEDERATION, None, None))
    rng = random.Random(5)
    return {
        "/stats/mentees": (funder, lambda: "/stats/mentees"),
        "/figures": (funder, lambda: "/figures"),
        "/figures as of a past day": (funder, lambda: f"/figures?as_of={past_day.isoformat()}"),
        "/plan": (funder, lambda: "/plan"),
        "/coordination": (services.headers, lambda: "/coordination"),
        "/history/{duo}": (auditor, lambda: f"/history/{rng.choice(duos)}"),
        "/figures/positive_exit/events, first page": (auditor, lambda: "/figures/positive_exit/events"),
        "/figures/positive_exit/events, a page deep in the list": (
            auditor,
            lambda: f"/figures/positive_exit/events?cursor={deep}",
        ),
        "federation roll-up /figures": (federation, lambda: "/figures"),
    }


def _trail_cursor_at(duo: uuid.UUID, figure: str) -> str:
    """The cursor of the trail's page that starts at `duo` (as of today on the service's clock, the branch's own
    definitions), as the route gives it: a page deep in the list without reading every page before it."""
    from services.reporting.api.trail_cursor import cursor_after, listing_digest, listing_of

    today = datetime.now(TIMEZONES[Tenant.BE]).date()
    listing = listing_of(figure, today, None, None, None, sustainable_work=None, positive_exit=None)
    return cursor_after((duo, uuid.UUID(int=0)), listing_digest(listing))  # every fact of the duo comes after it


async def time_route(
    client: aiohttp.ClientSession, headers: dict[str, str], path: Callable[[], str], readers: int, n: int
) -> list[float]:
    """`n` reads by `readers` concurrent readers; each read's latency in ms, its whole body read."""
    latencies: list[float] = []

    async def reader(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            async with client.get(path(), headers=headers) as answer:
                body = await answer.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                raise RuntimeError(f"{path()} answered {answer.status}: {body[:200]!r}")

    await asyncio.gather(*(reader(max(1, n // readers)) for _ in range(readers)))
    return latencies


async def freshness(services: Running, rate: float, seconds: float) -> dict[str, float]:
    """Registrations at `rate` for `seconds`; the time from each 201 until /stats/mentees counts as many."""
    answered: list[float] = []
    seen_at: list[float] = []
    failures = 0
    funder = services.token_for(Identity("bench-funder", Role.FUNDER, Tenant.BE, None))
    # aiohttp rather than httpx (services.client): the client shares the two cores with the servers it measures, and
    # httpx's pool spent about 2 ms of CPU a request, more than intake's whole registration (docs/performance.md
    # section 7); aiohttp spends a tenth of that, so the rate intake reaches is less the client's.
    # Connecting and each read bounded; the wait for one of the 64 connections is not: an open-loop client queues
    # what intake cannot take yet, and a registration that waits is late, not failed.
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=30)
    async with (
        aiohttp.ClientSession(
            services.urls["intake"], headers=services.headers, timeout=timeout, connector=aiohttp.TCPConnector(limit=64)
        ) as intake,
        aiohttp.ClientSession(services.urls["reporting"], headers=funder, timeout=timeout) as reporting,
    ):

        async def total() -> int:
            async with reporting.get("/stats/mentees") as answer:
                return int((await answer.json())["total"])

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
                async with intake.post("/mentees", json=mentee_body()) as answer:
                    await answer.read()
                    status = answer.status
            except (aiohttp.ClientError, TimeoutError):
                failures += 1
                return
            if status != 201:
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
    sizes = [scaled(size, min(scale, 1.0), 200) for size in SIZES_AT_SCALE_1]
    if scale >= TEN_MILLION_FROM_SCALE:
        sizes.append(10_000_000)  # after 100,000 and 1,000,000
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
            checked = await figures_match_the_ledger(services, database)
            off = sum(abs(api - ledger) for api, ledger in checked.values())
            print(f"reads: after the fill, API against the ledger: {checked}", flush=True)
            result.figure(f"figures off the ledger after the fill to {size:,} facts", "facts", False).add(off)
            routes = await _routes(services, database)
            # aiohttp, as for freshness below: the readers share the two cores with the server they time, and eight
            # concurrent reads through one httpx client queued behind its own CPU (about 2 ms a request) in the
            # client's process, a wait that was counted in each read's latency (docs/performance.md section 8).
            async with aiohttp.ClientSession(
                services.urls["reporting"],
                timeout=aiohttp.ClientTimeout(total=READ_TIMEOUT_S),
                connector=aiohttp.TCPConnector(limit=16),
            ) as client:
                for name, (headers, path) in routes.items():
                    # Warmed as a running service is: every connection its pool opens for eight readers has prepared
                    # the route's statements and run them past PostgreSQL's first five plans (made for each run's
                    # values, before one plan is kept). Warmed by one reader only, the eight readers' first reads on
                    # the pool's new connections paid that, and were the slowest of their hundred.
                    await time_route(client, headers, path, max(READERS), max(READERS) * WARM_READS_PER_READER)
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
            if size == sizes[min(1, len(sizes) - 1)]:  # 1,000,000 facts at scale 1 and above
                loads = await asyncio.to_thread(_dashboard_loads, services, DASHBOARD_LOADS)
                print(f"reads: the funder's dashboard at {size:,} facts loaded in {loads} ms", flush=True)
                result.figure(f"funder's dashboard, first load, {size:,} facts", "ms", False).add(loads[0])
                result.figure(f"funder's dashboard, next loads, {size:,} facts: max", "ms", False).add(max(loads[1:]))
            rss, peak = _rss_mb(pid)
            print(f"reads: reporting RSS {rss:.0f} MiB, peak {peak:.0f} MiB at {size:,} facts", flush=True)
            result.figure(f"reporting RSS after {size:,} facts", "MiB", False).add(rss)
            result.figure(f"reporting peak RSS after {size:,} facts", "MiB", False).add(peak)
        seconds = max(2.0, FRESHNESS_SECONDS_AT_SCALE_1 * scale)
        rate = max(10.0, FRESHNESS_RATE * min(1.0, scale * 10))
        # Warmed first, as each route is before it is timed: intake opens its pool's connections and prepares its
        # statements during its first registrations at the rate (the first seconds' delays were 200 to 320 ms p99
        # where the next runs' were 120 to 180 ms: docs/performance.md section 8). Not counted.
        await freshness(services, rate, WARM_UP_S)
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
        dashboard_at = sizes[min(1, len(sizes) - 1)]
        result.targets.append(
            at_most(
                f"the funder's dashboard loaded at {dashboard_at:,} facts (first load)",
                result.median(f"funder's dashboard, first load, {dashboard_at:,} facts"),
                TARGET_DASHBOARD_MS,
                "ms",
            )
        )
        p99 = result.median(f"freshness through the API p99 at {rate:g}/s with {largest:,} facts")
        result.targets.append(at_most("freshness through the API p99", p99, TARGET_FRESHNESS_P99_MS, "ms"))
        result.notes = {"sizes": sizes, "facts": facts, "requests_per_route": requests, "poll_s": POLL_S}
    return result


def measure(servers: Servers, scale: float = 1.0, repeat: int = 1) -> Result:
    return asyncio.run(_measure(servers, scale, repeat))
