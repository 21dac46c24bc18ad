"""`duo demo --profile`: where a demo's CPU goes. Each part's CPU seconds sampled from /proc while the programme runs
(the services, the broker, PostgreSQL's backends by database, the simulator), and PostgreSQL's statements from
`pg_stat_statements`, loaded for this run only (the wheel ships it; it is not in the committed settings: it costs
a little on every statement). Figures of issue 24 (docs/performance.md, section 7) come from this."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# Read by devtool/embedded_postgres_server.py: extra `-c` settings of the server, for a run (never stored).
POSTGRES_SETTINGS_VARIABLE = "DUO_POSTGRES_SETTINGS"
PROFILE_SETTINGS = "shared_preload_libraries=pg_stat_statements pg_stat_statements.max=2000"
_TOP = 12


@dataclass
class CpuSampler:
    """A thread reading the CPU time of each process of the platform every `every_s`; a process's last reading counts,
    so one that ends between readings loses at most `every_s` of its CPU (the pools' connections live all run)."""

    pids: Callable[[], dict[str, int]]  # the live parts now: devtool.demo.chaos.platform_pids bound to the platform
    every_s: float = 1.0
    seconds: dict[int, tuple[str, float]] = field(default_factory=dict)  # pid -> (part, CPU s since it started)
    _at_start: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _own_start: float = 0.0
    own_seconds: float = 0.0
    sampler_seconds: float = 0.0  # this thread's own CPU (reading /proc), left out of the simulator's

    def start(self) -> None:
        self._read(first=True)
        times = os.times()
        self._own_start = times.user + times.system
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """CPU seconds by part since start()."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._read()
        times = os.times()
        self.own_seconds = times.user + times.system - self._own_start - self.sampler_seconds
        by_part: dict[str, float] = defaultdict(float)
        for pid, (part, seconds) in self.seconds.items():
            by_part[part] += seconds - self._at_start.get(pid, 0.0)
        by_part["simulator"] = self.own_seconds
        return dict(by_part)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._read()
        self.sampler_seconds = time.thread_time()

    def _read(self, first: bool = False) -> None:
        for part, pid in self.pids().items():
            try:
                root = psutil.Process(pid)
                procs = [(part, root)]
                if part == "postgres":
                    procs += [(_backend_part(child), child) for child in root.children()]
            except psutil.Error:
                continue
            for name, proc in procs:
                try:
                    cpu = proc.cpu_times()
                except psutil.Error:
                    continue
                used = cpu.user + cpu.system
                if first:
                    self._at_start[proc.pid] = used
                self.seconds[proc.pid] = (name, used)


def _backend_part(proc: psutil.Process) -> str:
    """'postgres duo_tracking' for a backend of that database; 'postgres (server)' for the server's own workers."""
    try:
        title = proc.cmdline()
    except psutil.Error:
        return "postgres (server)"
    words = " ".join(title).split()
    # A backend's title: "postgres: <user> <database> <host(port)> <state>".
    if len(words) >= 3 and words[0] == "postgres:" and words[2].startswith("duo_"):
        return f"postgres {words[2]}"
    return "postgres (server)"


async def reset_statements(admin_url: str) -> None:
    import asyncpg

    con = await asyncpg.connect(admin_url)
    try:
        await con.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await con.execute("SELECT pg_stat_statements_reset()")
    finally:
        await con.close()


async def statements(admin_url: str) -> list[dict]:
    """Every statement pg_stat_statements saw since the reset, of the services' databases."""
    import asyncpg

    con = await asyncpg.connect(admin_url)
    try:
        rows = await con.fetch(
            "SELECT d.datname AS db, s.calls, s.total_exec_time AS ms, s.rows, s.query,"
            " s.shared_blks_hit + s.shared_blks_read AS blocks"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'duo_%'"
        )
        scans = {}
        for db in {row["db"] for row in rows}:
            other = await asyncpg.connect(admin_url.rsplit("/", 1)[0] + f"/{db}")
            try:
                scans[db] = await other.fetch(
                    "SELECT relname, seq_scan, seq_tup_read, idx_scan, n_live_tup FROM pg_stat_user_tables"
                    " WHERE seq_scan > 0 ORDER BY seq_tup_read DESC LIMIT 5"
                )
            finally:
                await other.close()
    finally:
        await con.close()
    return [dict(row) for row in rows] + [{"db": db, "scans": [dict(r) for r in s]} for db, s in scans.items()]


def report(cpu: dict[str, float], rows: list[dict], requests: int) -> list[str]:
    """The profile's lines: CPU by part, then per database its statements (count, time, top by time and by calls)
    and its tables read whole (sequential scans)."""
    lines = [f"Profile ({requests} API calls): CPU seconds by part"]
    platform = sum(s for part, s in cpu.items() if part != "simulator")
    for part, seconds in [*sorted(cpu.items(), key=lambda item: -item[1]), ("the platform, together", platform)]:
        lines.append(f"  {part:28} {seconds:8.1f} s  {1000 * seconds / max(requests, 1):6.2f} ms a call")
    statements_ = [row for row in rows if "query" in row]
    by_db: dict[str, list[dict]] = defaultdict(list)
    for row in statements_:
        by_db[row["db"]].append(row)
    total_calls = sum(row["calls"] for row in statements_)
    total_ms = sum(row["ms"] for row in statements_)
    lines.append(
        f"\nPostgreSQL: {total_calls} statements ({total_calls / max(requests, 1):.1f} an API call), "
        f"{total_ms / 1000:.1f} s executing"
    )
    for db in sorted(by_db, key=lambda d: -sum(r["ms"] for r in by_db[d])):
        mine = by_db[db]
        calls = sum(r["calls"] for r in mine)
        ms = sum(r["ms"] for r in mine)
        lines.append(f"\n  {db}: {calls} statements ({calls / max(requests, 1):.1f} an API call), {ms / 1000:.1f} s")
        for title, key in (("by time", "ms"), ("by calls", "calls")):
            lines.append(f"    top {title}:     calls     total ms   ms/call  rows/call  blocks/call")
            for row in sorted(mine, key=lambda r: -r[key])[:_TOP]:
                query = " ".join(row["query"].split())[:110]
                lines.append(
                    f"    {row['calls']:>21} {row['ms']:12.0f} {row['ms'] / row['calls']:9.3f}"
                    f" {row['rows'] / row['calls']:10.1f} {row['blocks'] / row['calls']:12.1f}  {query}"
                )
    for row in rows:
        if "scans" in row and row["scans"]:
            lines.append(f"\n  {row['db']}: tables read whole (seq scans, rows read, index scans, rows now)")
            lines += [
                f"    {s['relname']:32} {s['seq_scan']:>8} {s['seq_tup_read']:>12} {s['idx_scan'] or 0:>10}"
                f" {s['n_live_tup']:>10}"
                for s in row["scans"]
            ]
    return lines


def call_lines(tries: dict[tuple[str, str, str, int], int], duos: int, waits: int) -> list[str]:
    """The simulator's tries by route and status (status 0: no answer), most first, and per duo formed."""
    total = sum(tries.values())
    lines = [
        f"The simulator's tries by route and status: {total} ({total / max(duos, 1):.1f} a duo), {waits} poll pauses"
    ]
    for (service, method, route, status), count in sorted(tries.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {count:>8} {count / max(duos, 1):6.2f} a duo  {status:>3}  {service:9} {method:5} {route}")
    return lines


def admin_url_of(home: Path) -> str:
    from shared.endpoints import read_endpoints

    endpoints = read_endpoints(home)
    if endpoints is None:
        raise RuntimeError(f"no servers recorded under {home}")
    return endpoints.database_url("postgres")
