"""`duo infra up | down | status` on the embedded PostgreSQL and Tansu broker."""

from __future__ import annotations

import asyncio
import json
import signal

import asyncpg
import psutil
import pytest

from devtool.processes import port_answers
from shared.endpoints import read_endpoints
from tests.cli import duo, servers_of, start_duo, wait_until

pytestmark = pytest.mark.integration


def test_up_status_down(tmp_path):
    home = tmp_path / "duo"
    assert duo(home, "infra", "status").returncode == 3
    try:
        up = duo(home, "infra", "up")
        assert up.returncode == 0, up.stderr
        assert "postgresql://postgres:PASSWORD@127.0.0.1:" in up.stdout and "kafka" in up.stdout
        status = duo(home, "infra", "status")
        assert status.returncode == 0 and status.stdout.count("running") == 2
        again = duo(home, "infra", "up")  # idempotent: same endpoints, nothing restarted
        assert again.returncode == 0 and again.stdout == up.stdout
        assert (home / "postgres.password").stat().st_mode & 0o077 == 0
        password = (home / "postgres.password").read_text().strip()
        assert password not in up.stdout + status.stdout  # shown nowhere, kept in its 0600 file
        port = json.loads((home / "infra.json").read_text())["postgres_port"]
        with pytest.raises(asyncpg.InvalidPasswordError):  # no trust: the databases hold personal data
            asyncio.run(asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres"))
    finally:
        assert duo(home, "infra", "down").returncode == 0
    assert servers_of(home) == []
    assert duo(home, "infra", "status").returncode == 3


def start_foreground_infra(home):
    """`duo infra up --foreground` in the background, once both servers run and answer (not while initdb's
    own short-lived postgres is what `status` sees)."""
    up = start_duo(home, "infra", "up", "--foreground")

    def both_answer() -> bool:
        endpoints = read_endpoints(home)
        return (
            endpoints is not None
            and port_answers(endpoints.postgres_port)
            and port_answers(endpoints.kafka_port)
            and duo(home, "infra", "status").returncode == 0
        )

    wait_until(both_answer, 60, "both servers running and answering")
    return up


def test_down_stops_both_servers_after_up_was_killed(tmp_path):
    home = tmp_path / "duo"
    try:
        up = start_foreground_infra(home)
        up.send_signal(signal.SIGKILL)
        up.wait(10)
        orphans = servers_of(home)
        # The embedded PostgreSQL outlives its parent's SIGKILL; `down` must still find it.
        assert {p.name() for p in orphans} >= {"postgres", "tansu"}
    finally:
        down = duo(home, "infra", "down")
    assert down.returncode == 0, down.stderr
    gone, alive = psutil.wait_procs(orphans, timeout=10)
    assert alive == []
    assert servers_of(home) == []


def test_foreground_up_stops_both_on_sigterm(tmp_path):
    home = tmp_path / "duo"
    try:
        up = start_foreground_infra(home)
        up.send_signal(signal.SIGTERM)
        assert up.wait(60) == 0
        assert servers_of(home) == []
    finally:
        duo(home, "infra", "down")
