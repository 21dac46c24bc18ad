"""Running the `duo` command in tests, as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from shared.infra.processes import owned_processes


def duo(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `duo ARGS` to completion with DUO_HOME=home."""
    return subprocess.run([sys.executable, "-m", "shared.infra.cli", *args], env={**os.environ, "DUO_HOME": str(home), **env},
                          capture_output=True, text=True, timeout=120)


def start_duo(home: Path, *args: str, **env: str) -> subprocess.Popen:
    """Start `duo ARGS` in the background with DUO_HOME=home."""
    return subprocess.Popen([sys.executable, "-m", "shared.infra.cli", *args],
                            env={**os.environ, "DUO_HOME": str(home), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def servers_of(home: Path) -> list[psutil.Process]:
    """The PostgreSQL and Tansu processes started for this data folder."""
    return owned_processes(str(home), "postgres") + owned_processes(str(home), "tansu")


def wait_until(check, deadline_s: float, what: str) -> None:
    """Poll a synchronous check until it holds, or fail naming `what`."""
    deadline = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {deadline_s} s")
        time.sleep(0.1)
