"""The whole platform as `duo run` starts it: four service processes on embedded infrastructure."""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.infra.cli_services import DEFAULT_PORTS
from shared.infra.processes import port_answers
from tests.cli import duo, start_duo, wait_until


@dataclass
class RunningPlatform:
    """A `duo run` process and where its services answer."""

    process: object
    home: Path
    urls: dict[str, str]


def free_port_offset() -> int:
    """An offset moving ports 8001-8004 to four free ones, so tests never meet a developer's platform."""
    while True:
        offset = random.randrange(20_000, 40_000, 10)
        if not any(port_answers(port + offset) for port in DEFAULT_PORTS.values()):
            return offset


def start_platform(home: Path) -> RunningPlatform:
    """Start `duo run` and wait until every service is healthy."""
    offset = free_port_offset()
    process = start_duo(home, "run", "--port-offset", str(offset), DUO_TOPIC_PREFIX="")
    urls = {name: f"http://127.0.0.1:{port + offset}" for name, port in DEFAULT_PORTS.items()}

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"duo run exited with {process.returncode}:\n{process.stdout.read()}")
        line = process.stdout.readline()
        return "is running" in line

    wait_until(ready, 120, "duo run reporting all services healthy")
    return RunningPlatform(process, home, urls)


def stop_platform(running: RunningPlatform) -> None:
    """Stop `duo run` as Ctrl-C would, and make sure its servers are gone."""
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(60)
    duo(running.home, "infra", "down")


@pytest.fixture
def platform(tmp_path) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path / "duo")
    try:
        yield running
    finally:
        stop_platform(running)
