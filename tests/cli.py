"""Running the `duo` command in tests, as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from devtool.processes import owned_processes, poll_until


def environment(home: Path, **env: str) -> dict[str, str]:
    """Our environment without a developer's endpoints (those would send the test to a real cluster)."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        # The test session's event keys too: a `duo` of its own makes and uses its home's.
        if not (
            k.endswith("_DATABASE_URL") or k in ("KAFKA_BOOTSTRAP_SERVERS", "DUO_TOPIC_PREFIX", "DUO_EVENT_KEYS_DIR")
        )
    }
    return {**inherited, "DUO_HOME": str(home), **env}


def duo(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `duo ARGS` to completion with DUO_HOME=home."""
    return subprocess.run(
        [sys.executable, "-m", "devtool.cli", *args],
        env=environment(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_duo(home: Path, *args: str, log: Path | None = None, **env: str) -> subprocess.Popen[bytes]:
    """Start `duo ARGS` in the background with DUO_HOME=home; output goes to `log` (never a pipe nobody reads)."""
    log = log or home.with_name(home.name + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "devtool.cli", *args],
            env=environment(home, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def servers_of(home: Path) -> list[psutil.Process]:
    """The PostgreSQL and Tansu processes started for this data folder."""
    return owned_processes(str(home), "postgres") + owned_processes(str(home), "tansu")


def wait_until(check, deadline_s: float, what: str, log: Path | None = None) -> None:
    """Poll a synchronous check with a deadline (the product's own loop), failing the test naming `what` and
    showing the end of `log` (the process's own output, which a CI run would otherwise lose with its tmp folder)."""
    try:
        poll_until(check, deadline_s, what)
    except TimeoutError as timeout:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-60:]) if log and log.exists() else ""
        raise AssertionError(f"{timeout}\n{tail}" if tail else str(timeout)) from None
