"""`duo demo --chaos`: the demo kills parts of the platform itself (SIGKILL, as a crash or an OOM kill does)
while the programme runs, and its figures must come out as the clean run's of the same seed.

Which part and when are drawn from the chaos seed, so a chaos run can be repeated; what the programme does
is the simulator's, drawn from the demo's seed. `duo run`'s supervisor brings each part back; the simulator
retries what a careful client retries.
"""

from __future__ import annotations

import difflib
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from devtool.processes import owned_processes

SERVICES = ("intake", "matching", "tracking", "reporting")
PARTS = {"services": SERVICES, "all": (*SERVICES, "kafka", "postgres")}
HEAL_POLL_S = 0.5


@dataclass(frozen=True)
class Kill:
    at_s: float  # seconds into the programme
    part: str
    pid: int


def platform_pids(platform_pid: int, home: Path) -> dict[str, int]:
    """The live processes of a `duo run` (its services) and of its data folder (broker, PostgreSQL), by part."""
    pids: dict[str, int] = {}
    try:
        for child in psutil.Process(platform_pid).children():
            with_args = child.cmdline()
            if "serve" in with_args:
                pids[with_args[with_args.index("serve") + 1]] = child.pid
    except psutil.Error:
        pass  # the platform is gone: nothing to kill
    brokers = owned_processes(str(home), "tansu")
    if brokers:
        pids["kafka"] = brokers[0].pid
    postmaster = home / "pgdata" / "postmaster.pid"
    try:
        pid = int(postmaster.read_text().split()[0])
        if _is_postmaster_of(pid, home / "pgdata"):
            pids["postgres"] = pid
    except (OSError, ValueError, IndexError):
        pass  # stopped, or restarting right now
    return pids


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is a PostgreSQL process working in `pgdata`. A killed server's postmaster.pid stays behind
    with its number, which a busy machine (process numbers wrap at 32,768 here) soon gives to another process. A
    chaos run at a load of 20 once went on killing while `duo run`'s supervisor fell silent for its last three
    minutes, nothing restarted and matching unreachable: as if `duo run` itself had been killed in PostgreSQL's
    name."""
    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and process.cwd() == str(pgdata.resolve())
    except psutil.Error:
        return False


@dataclass
class Chaos:
    """A thread that kills one part of the platform after each drawn pause, until stopped."""

    seed: int
    parts: tuple[str, ...]
    pids: Callable[[], dict[str, int]]  # the live parts now
    every_s: tuple[float, float]  # the pause before each kill is drawn in this range
    # Whether the platform is whole again (every part back and answering): the next pause starts only then, so
    # a loaded machine, whose restarts take longer, is not killed faster than it heals, and a quiet one, whose
    # programme is over in seconds, is still killed several times. None: the pauses follow each other at once.
    healed: Callable[[], bool] | None = None
    kills: list[Kill] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)
        self._thread.start()

    def at_least(self, kills: int, within_s: float) -> None:
        """Go on killing until `kills` kills were made, or for `within_s` at most. A quick machine may finish a small
        programme before a few pauses have passed (a CI run of 144 duos was over after two kills); the kills made
        after its last step still test what matters here, that the figures read afterwards are the clean run's."""
        deadline = time.monotonic() + within_s
        while len(self.kills) < kills and time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(HEAL_POLL_S)

    def stop(self) -> list[Kill]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.kills

    def _run(self) -> None:
        rng, started = random.Random(self.seed), time.monotonic()
        while self._whole_again() and not self._stop.wait(rng.uniform(*self.every_s)):
            part = rng.choice(self.parts)
            pid = self.pids().get(part)
            if pid is None:
                continue  # still being restarted after an earlier kill: this turn passes
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            self.kills.append(Kill(time.monotonic() - started, part, pid))

    def _whole_again(self) -> bool:
        """Wait until the platform is whole again (or the chaos is stopped); False once stopped."""
        while self.healed is not None and not self.healed():
            if self._stop.wait(HEAL_POLL_S):
                return False
        return not self._stop.is_set()


def whole(pids: Callable[[], dict[str, int]], parts: tuple[str, ...], urls: dict[str, str]) -> Callable[[], bool]:
    """Every part has a process, and every service answers /health reaching its database and broker."""

    def check() -> bool:
        if not set(parts) <= set(pids()):
            return False
        for url in urls.values():
            try:
                checks = httpx.get(f"{url}/health", timeout=2).json()["checks"]
                if not (checks["database"]["reachable"] and checks["broker"]["reachable"]):
                    return False
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                return False
        return True

    return check


def describe(kills: list[Kill]) -> str:
    """The kills in one line each, in order."""
    return "\n".join(f"    {k.at_s:6.1f} s  killed {k.part} (pid {k.pid})" for k in kills)


def compare(clean: list[str], chaotic: list[str]) -> list[str]:
    """The differences between the clean run's figures and the chaos run's (none: identical)."""
    return [
        line
        for line in difflib.unified_diff(clean, chaotic, "clean run", "chaos run", lineterm="", n=0)
        if not line.startswith("@@")
    ]
