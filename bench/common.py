"""What every benchmark shares: the servers they run on, fresh databases and topics, child processes, figures.

A figure is measured once per run, and each benchmark runs `repeat` times: a figure reports min, median and max
over its runs. Nothing here asserts a speed: benchmarks print and record, tests never decide on a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import platform
import resource
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg


class Servers(Protocol):
    """Where PostgreSQL and the broker listen: the embedded stack's endpoints, or the tests' (same shape)."""

    @property
    def kafka_bootstrap(self) -> str: ...

    def database_url(self, database: str) -> str: ...


@dataclass
class Figure:
    """One measured quantity over the runs of a benchmark."""

    name: str
    unit: str
    runs: list[float] = field(default_factory=list)
    higher_is_better: bool = True

    def add(self, value: float) -> None:
        self.runs.append(float(value))

    def summary(self) -> dict[str, Any]:
        if not self.runs:
            return {"name": self.name, "unit": self.unit, "runs": [], "min": None, "median": None, "max": None}
        return {
            "name": self.name,
            "unit": self.unit,
            "runs": [round(v, 4) for v in self.runs],
            "min": round(min(self.runs), 4),
            "median": round(statistics.median(self.runs), 4),
            "max": round(max(self.runs), 4),
        }


@dataclass
class Target:
    """A stated target and whether the medians meet it: `ratio` is measured / required (>= 1 met)."""

    name: str
    required: str
    measured: str
    ratio: float | None

    def summary(self) -> dict[str, Any]:
        met = None if self.ratio is None else self.ratio >= 1.0
        return {
            "name": self.name,
            "required": self.required,
            "measured": self.measured,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "met": met,
        }


@dataclass
class Result:
    """A benchmark's figures (in the order they were added), its targets and notes on the method."""

    benchmark: str
    figures: dict[str, Figure] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def figure(self, name: str, unit: str, higher_is_better: bool = True) -> Figure:
        if name not in self.figures:
            self.figures[name] = Figure(name, unit, higher_is_better=higher_is_better)
        return self.figures[name]

    def median(self, name: str) -> float:
        runs = self.figures[name].runs
        return statistics.median(runs) if runs else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "seconds": round(self.seconds, 2),
            "figures": [f.summary() for f in self.figures.values()],
            "targets": [t.summary() for t in self.targets],
            "notes": self.notes,
        }


def at_least(name: str, measured: float, required: float, unit: str, what: str) -> Target:
    """A target of the form measured >= required."""
    ratio = measured / required if required else None
    return Target(name, f">= {required:,.3g} {unit} ({what})", f"{measured:,.3g} {unit}", ratio)


def at_most(name: str, measured: float, limit: float, unit: str) -> Target:
    """A target of the form measured <= limit."""
    ratio = limit / measured if measured > 0 else None
    return Target(name, f"<= {limit:,.3g} {unit}", f"{measured:,.3g} {unit}", ratio)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def scaled(full: int, scale: float, least: int = 1) -> int:
    """A count at scale 1 brought to `scale`, never below `least`."""
    return max(least, round(full * scale))


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def fresh_database(servers: Servers, prefix: str) -> str:
    """A new, empty database on the server; its URL (dropped with the server's data folder, or by `drop_database`)."""
    name = unique(prefix)
    admin = await asyncpg.connect(servers.database_url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return servers.database_url(name)


async def drop_database(servers: Servers, url: str) -> None:
    name = url.rpartition("/")[2]
    admin = await asyncpg.connect(servers.database_url("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Run `function(*args)` in a fresh spawned process (its own peak memory, its own interpreter) and return
    what it returns."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


async def server_versions(servers: Servers) -> dict[str, str]:
    """The PostgreSQL server's version (the broker's is Tansu's, as `duo infra up` runs it)."""
    con = await asyncpg.connect(servers.database_url("postgres"))
    try:
        settings = {
            r["name"]: r["setting"]
            for r in await con.fetch(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')"
            )
        }
        return {"postgres": await con.fetchval("SHOW server_version")} | settings
    finally:
        await con.close()


@contextlib.contextmanager
def timed(result: Result) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        result.seconds = time.perf_counter() - started


def run(coroutine: Any) -> Any:
    """asyncio.run, for the synchronous entry points."""
    return asyncio.run(coroutine)
