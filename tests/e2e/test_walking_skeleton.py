"""A mentee registered at intake is counted by reporting: services as processes, driven over HTTP only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest

from devtool.stack import read_endpoints
from tests.cli import duo, wait_until
from tests.kafka_reading import consumed_through, read_topic

pytestmark = pytest.mark.e2e

MENTEE = {
    "first_name": "Amina",
    "last_name": "El Idrissi",
    "phone": "+32 470 12 34 56",
    "birth_date": f"{date.today().year - 26}-06-15",  # 25 or 26, in whatever year the test runs
    "nationality": "MA",
    "parent_or_grandparent_born_outside_eu": False,
    "residence_permit": "long_term",
    "languages": ["fr", "ar", "en"],
    "office": "be-antwerpen",
    "job_target": {"sector": "Q", "occupation": "nursing assistant"},
    "availability": {"hours_per_week": 3, "day_parts": ["tue-evening", "sat-morning"]},
    "consent": {"data_processing": True, "voluntary_participation": True},
}


def mentee(office: str = "be-antwerpen") -> dict:
    """An eligible application with an e-mail address of its own (a repeated one is a duplicate)."""
    return {**MENTEE, "office": office, "email": f"mentee-{uuid.uuid4().hex[:8]}@example.org"}


def staff(home: Path, role: str, branch: str | None = "BE") -> dict[str, str]:
    """The Authorization header of a token `duo token issue` gives, signed with the platform's own key."""
    issued = duo(home, "token", "issue", "--role", role, *(("--branch", branch) if branch else ()))
    assert issued.returncode == 0, issued.stderr
    return {"Authorization": f"Bearer {issued.stdout.strip()}"}


def reporting_total(url: str, home: Path) -> int:
    return httpx.get(f"{url}/stats/mentees", headers=staff(home, "funder"), timeout=5).json()["total"]


def test_a_registered_mentee_is_counted_by_reporting(platform):
    for name, url in platform.urls.items():
        health = httpx.get(f"{url}/health", timeout=5).json()
        assert health["service"] == name and health["status"] == "ok"
    assert reporting_total(platform.urls["reporting"], platform.home) == 0
    coordinator = staff(platform.home, "coordinator")

    for office in ("be-antwerpen", "be-antwerpen", "be-brussel"):
        answer = httpx.post(f"{platform.urls['intake']}/mentees", json=mentee(office), headers=coordinator, timeout=10)
        assert answer.status_code == 201, answer.text

    too_old = {**mentee(), "birth_date": f"{date.today().year - 40}-06-15"}
    refused = httpx.post(f"{platform.urls['intake']}/mentees", json=too_old, headers=coordinator, timeout=10)
    assert refused.status_code == 422, refused.text

    funder = staff(platform.home, "funder")

    def figures() -> dict:
        return httpx.get(f"{platform.urls['reporting']}/stats/mentees", headers=funder, timeout=5).json()

    wait_until(lambda: figures()["applications"] == 4, 60, "reporting counting four applications")
    assert figures()["total"] == 3 and figures()["refused_applications"] == 1
    assert figures()["by_office"] == {"be-antwerpen": 2, "be-brussel": 1}
    assert figures()["by_tenant"] == {"BE": 3}
    wait_until(
        lambda: httpx.get(f"{platform.urls['intake']}/health").json()["outbox_pending"] == 0, 30, "outbox drained"
    )

    # What the four services really logged while handling all that: no personal data in it.
    logged = platform.log.read_text(errors="replace")
    assert "batch applied" in logged  # the log is the real one, with the consumer's lines in it
    for personal in (MENTEE["first_name"], MENTEE["last_name"], MENTEE["phone"], MENTEE["birth_date"], "@example.org"):
        assert personal not in logged
    assert (platform.home / "postgres.password").read_text().strip() not in logged


def test_facts_survive_a_restart_of_the_whole_platform(tmp_path):
    from tests.e2e.conftest import start_platform, stop_platform

    home = tmp_path / "duo"
    first = start_platform(home)
    coordinator = staff(home, "coordinator")
    try:
        assert (
            httpx.post(f"{first.urls['intake']}/mentees", json=mentee(), headers=coordinator, timeout=10).status_code
            == 201
        )
        wait_until(lambda: reporting_total(first.urls["reporting"], home) == 1, 60, "reporting counting the mentee")
    finally:
        stop_platform(first)
    # The memory-only broker is gone; the stores on disk are the record and are published again.
    second = start_platform(home)
    try:
        assert (
            httpx.post(f"{second.urls['intake']}/mentees", json=mentee(), headers=coordinator, timeout=10).status_code
            == 201
        )
        wait_until(lambda: reporting_total(second.urls["reporting"], home) == 2, 60, "reporting counting both mentees")
        endpoints = read_endpoints(home)
        assert endpoints is not None, "duo run records its endpoints"
        kafka = endpoints.kafka_bootstrap
        wait_until(
            lambda: httpx.get(f"{second.urls['intake']}/health").json()["outbox_pending"] == 0, 30, "outbox drained"
        )
        # A consumer starting from scratch still finds the whole history on the new broker.
        records = asyncio.run(read_topic(kafka, "duo.intake.events", 2))
        assert len({dict(r.headers)["ce_id"] for r in records}) == 2
        wait_until(
            lambda: consumed_through(second.urls["reporting"], records), 60, "reporting consuming the republished log"
        )
        assert reporting_total(second.urls["reporting"], home) == 2  # republished events were not counted twice
    finally:
        stop_platform(second)
