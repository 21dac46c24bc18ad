"""`duo run` as a supervisor: no orphans when it is killed, no silent half-platform when a service dies."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.cli import duo, servers_of, wait_until

pytestmark = pytest.mark.e2e


def service_processes(platform) -> dict[str, psutil.Process]:
    children = psutil.Process(platform.process.pid).children()
    return {p.cmdline()[p.cmdline().index("serve") + 1]: p for p in children if "serve" in p.cmdline()}


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


def test_a_service_that_dies_stops_the_whole_platform(platform):
    services = service_processes(platform)
    services["intake"].send_signal(signal.SIGKILL)
    # Better no platform than one that silently accepts nothing: duo run notices, and stops the rest.
    assert platform.process.wait(60) == 1
    gone, alive = psutil.wait_procs(list(services.values()), timeout=30)
    assert alive == []
    wait_until(lambda: servers_of(platform.home) == [], 30, "servers stopped")
