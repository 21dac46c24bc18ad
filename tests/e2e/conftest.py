"""The whole platform as `duo run` starts it: four service processes on embedded infrastructure."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from devtool.cli_services import DEFAULT_PORTS, SERVICES
from devtool.processes import owned_processes
from tests.cli import duo, start_duo, wait_until


@dataclass
class RunningPlatform:
    """A `duo run` process and where its services answer."""

    process: subprocess.Popen[bytes]
    home: Path
    urls: dict[str, str]
    log: Path  # everything `duo run` and its four services printed


def service_processes(running: RunningPlatform) -> dict[str, psutil.Process]:
    """The service processes `duo run` started, by service name."""
    children = psutil.Process(running.process.pid).children()
    return {p.cmdline()[p.cmdline().index("serve") + 1]: p for p in children if "serve" in p.cmdline()}


def answers_health(running: RunningPlatform, service: str) -> bool:
    """Whether the service answers /health as itself."""
    try:
        answer = httpx.get(f"{running.urls[service]}/health", timeout=5)
        return answer.status_code == 200 and answer.json().get("service") == service
    except (httpx.HTTPError, ValueError):
        return False


def postmaster_pid(home: Path) -> int:
    """The pid of the data folder's PostgreSQL server (its postmaster, not a backend)."""
    return int((home / "pgdata" / "postmaster.pid").read_text().split()[0])


def broker_pids(home: Path) -> set[int]:
    """The pids of the data folder's Tansu broker."""
    return {p.pid for p in owned_processes(str(home), "tansu")}


def can_bind(port: int) -> bool:
    """Whether nothing holds the port, not even an outgoing connection (which would not answer a connect)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_offset() -> int:
    """An offset moving ports 8001-8004 to four free ones, so tests never meet a developer's platform."""
    while True:
        # Ports 10001-24004: below Linux's ephemeral range (32768+), where the clients'
        # own outgoing connections would take ports from under us.
        offset = random.randrange(2_000, 16_000, 10)
        if all(can_bind(port + offset) for port in DEFAULT_PORTS.values()):
            return offset


def start_platform(home: Path) -> RunningPlatform:
    """Start `duo run` and wait until it says every service is healthy; clean up if it never does."""
    offset = free_port_offset()
    log = home.parent / f"duo-run-{offset}.log"  # one per start: a restart must not read the last run's output
    process = start_duo(home, "run", "--port-offset", str(offset), log=log)
    urls = {name: f"http://127.0.0.1:{DEFAULT_PORTS[name] + offset}" for name in SERVICES}  # what `duo run` starts
    running = RunningPlatform(process, home, urls, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"duo run exited with {process.returncode}")
        return log.exists() and "is running" in log.read_text(errors="replace")

    try:
        wait_until(ready, 90, "duo run reporting all services healthy")
    except AssertionError as failure:
        stop_platform(running)
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise AssertionError(f"{failure}\n--- duo run output (end) ---\n{tail}") from None
    return running


def stop_platform(running: RunningPlatform) -> None:
    """Stop `duo run` as Ctrl-C would, and make sure its servers are gone."""
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
        try:
            running.process.wait(60)
        except subprocess.TimeoutExpired:
            running.process.kill()
    duo(running.home, "infra", "down")


@pytest.fixture
def platform(tmp_path) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path / "duo")
    try:
        yield running
    finally:
        stop_platform(running)
