"""A mentee registered at intake is counted by reporting: services as processes, driven over HTTP only."""

from __future__ import annotations

import signal

import httpx
import psutil
import pytest

from tests.cli import duo, servers_of, wait_until

pytestmark = pytest.mark.e2e

MENTEE = {"office": "be-antwerpen", "job_target_sector": "Q", "languages": ["nl", "en"]}


def reporting_total(url: str) -> int:
    return httpx.get(f"{url}/stats/mentees", timeout=5).json()["total"]


def test_a_registered_mentee_is_counted_by_reporting(platform):
    for name, url in platform.urls.items():
        health = httpx.get(f"{url}/health", timeout=5).json()
        assert health["service"] == name and health["status"] == "ok"
    assert reporting_total(platform.urls["reporting"]) == 0

    for office in ("be-antwerpen", "be-antwerpen", "be-brussel"):
        answer = httpx.post(f"{platform.urls['intake']}/mentees", json={**MENTEE, "office": office}, timeout=10)
        assert answer.status_code == 201, answer.text

    wait_until(lambda: reporting_total(platform.urls["reporting"]) == 3, 60, "reporting counting three mentees")
    figures = httpx.get(f"{platform.urls['reporting']}/stats/mentees", timeout=5).json()
    assert figures["by_office"] == {"be-antwerpen": 2, "be-brussel": 1}
    assert figures["by_tenant"] == {"BE": 3}
    wait_until(lambda: httpx.get(f"{platform.urls['intake']}/health").json()["outbox_pending"] == 0, 30, "outbox drained")


def test_killing_duo_run_leaves_no_orphan(platform):
    services = [p for p in psutil.Process(platform.process.pid).children() if "serve" in " ".join(p.cmdline())]
    assert len(services) == 4
    platform.process.send_signal(signal.SIGKILL)
    platform.process.wait(10)
    # The services die with their parent (PR_SET_PDEATHSIG); the servers wait for `duo infra down`.
    gone, alive = psutil.wait_procs(services, timeout=30)
    assert alive == []
    assert len(servers_of(platform.home)) >= 2
    assert duo(platform.home, "infra", "down").returncode == 0
    wait_until(lambda: servers_of(platform.home) == [], 30, "servers stopped")
