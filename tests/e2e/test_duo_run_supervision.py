"""`duo run` as a supervisor: no orphans when it is killed, and a service that dies is restarted alone."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.cli import duo, servers_of, wait_until
from tests.e2e.conftest import answers_health, broker_pids, postmaster_pid, service_processes

pytestmark = pytest.mark.e2e


def test_killing_duo_run_leaves_no_orphan(platform):
    services = list(service_processes(platform).values())
    assert len(services) == 4
    platform.process.send_signal(signal.SIGKILL)
    platform.process.wait(10)
    # The services die with their parent (PR_SET_PDEATHSIG); the servers wait for `duo infra down`.
    gone, alive = psutil.wait_procs(services, timeout=30)
    assert alive == []
    assert len(servers_of(platform.home)) >= 2
    assert duo(platform.home, "infra", "down").returncode == 0
    wait_until(lambda: servers_of(platform.home) == [], 30, "servers stopped")


def test_a_service_that_dies_is_restarted_alone(platform):
    services = service_processes(platform)
    servers = (postmaster_pid(platform.home), broker_pids(platform.home))
    others = [name for name in platform.urls if name != "intake"]
    services["intake"].send_signal(signal.SIGKILL)
    services["intake"].wait(10)

    def intake_back() -> bool:
        # Every look, until intake is back: the other three never stopped answering.
        for name in others:
            assert answers_health(platform, name), f"{name} stopped answering while intake was down"
        return answers_health(platform, "intake")

    wait_until(intake_back, 60, "intake answering /health again")
    assert platform.process.poll() is None
    logged = platform.log.read_text(errors="replace")
    assert "duo run: intake exited with code -9; restarting (attempt 1)" in logged
    now = service_processes(platform)
    assert now["intake"].pid != services["intake"].pid
    assert {name: now[name].pid for name in others} == {name: services[name].pid for name in others}
    # Neither server was touched: the same broker and the same postmaster.
    assert (postmaster_pid(platform.home), broker_pids(platform.home)) == servers
