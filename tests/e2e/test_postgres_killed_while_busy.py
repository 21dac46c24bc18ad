"""PostgreSQL's postmaster killed (-9) while clients keep backends busy: `duo run` brings it back at once.

A busy backend notices its postmaster's death only at its next wait for a client or a lock, so a long query's
backend outlives the kill and holds the server's shared memory; a new server refuses to start while anything is
attached to it. The restart must find those orphans (PostgreSQL writes its process titles over their
environment, so they carry no readable mark of their data folder) and stop them first."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import asyncpg
import httpx
import psutil
import pytest

from devtool.processes import port_answers
from shared.endpoints import read_endpoints
from tests.cli import wait_until
from tests.e2e.conftest import postmaster_pid
from tests.e2e.test_walking_skeleton import mentee, staff

pytestmark = pytest.mark.e2e

# A nested loop over 10^10 rows, CPU only (never waiting, so never noticing a dead postmaster); bounded by the
# statement timeout so that a restart that failed to stop it does not burn a core for longer than the test.
BUSY_QUERY = "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b"
BUSY_BACKENDS = 2


async def busy_backends(url: str) -> tuple[list[int], list[asyncio.Task]]:
    """Backends running BUSY_QUERY, by pid, once each has started it; the clients' tasks waiting for answers."""
    connections = [await asyncpg.connect(url) for _ in range(BUSY_BACKENDS)]
    for connection in connections:
        await connection.execute("SET statement_timeout = '180s'")
    tasks = [asyncio.create_task(connection.fetchval(BUSY_QUERY)) for connection in connections]
    pids = [connection.get_server_pid() for connection in connections]
    watcher = await asyncpg.connect(url)
    deadline = time.monotonic() + 60
    try:
        while await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1) AND state = 'active'", pids
        ) < len(pids):
            assert time.monotonic() < deadline, "the busy queries did not all start within 60 s"
            await asyncio.sleep(0.05)
    finally:
        await watcher.close()
    for pid in pids:  # gentle to whoever shares the machine: they only need to be running
        psutil.Process(pid).nice(19)
    return pids, tasks


def gone(process: psutil.Process) -> bool:
    """Whether a process ended: exited (its pid free, or another process's since), or a zombie init has not reaped
    yet, which holds nothing any more."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.timeout(300)
def test_a_postmaster_killed_under_busy_backends_is_restarted_and_its_orphans_stopped(platform):
    home = platform.home
    endpoints = read_endpoints(home)
    assert endpoints is not None
    coordinator = staff(home, "coordinator")
    intake = platform.urls["intake"]

    async def kill_under_busy_backends() -> list[psutil.Process]:
        pids, tasks = await busy_backends(endpoints.database_url("postgres"))
        orphans = [psutil.Process(pid) for pid in pids]
        os.kill(postmaster_pid(home), signal.SIGKILL)
        # Looked at at once: `duo run` notices the death within its poll and restarts after a pause of 0.5 s.
        assert not any(map(gone, orphans)), "the busy backends outlive their postmaster (else this test shows nothing)"
        # The clients get their connections broken once the orphans are stopped, as a server crash does.
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
        assert all(isinstance(result, Exception) for result in results), results
        return orphans

    orphans = asyncio.run(kill_under_busy_backends())

    wait_until(
        lambda: "duo run: postgres restarted" in platform.log.read_text(errors="replace"),
        120,
        "duo run restarting PostgreSQL",
        platform.log,
    )
    assert "restarting postgres failed" not in platform.log.read_text(errors="replace")  # the first try holds
    assert port_answers(endpoints.postgres_port)
    assert all(map(gone, orphans))
    assert "is still in use" not in (home / "postgres.log").read_text(errors="replace")

    def registers() -> bool:
        try:
            answer = httpx.post(f"{intake}/mentees", json=mentee(), headers=coordinator, timeout=10)
        except httpx.TransportError:
            return False
        assert answer.status_code in (201, 503), answer.text
        return answer.status_code == 201

    wait_until(registers, 60, "intake taking a registration on the restarted database", platform.log)
    assert platform.process.poll() is None
