"""PostgreSQL killed (-9) under a steady load of commands: every answer is the command's own or a 503 with
Retry-After in the platform's error shape, never a 500; clients that retry with the same Idempotency-Key get
every command done exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.endpoints import read_endpoints
from tests.e2e.conftest import postmaster_pid, start_platform, stop_platform
from tests.e2e.test_walking_skeleton import mentee, staff

pytestmark = pytest.mark.e2e
RETRIED = (502, 503, 504)


async def careful_client(url: str, headers: dict, body: dict, statuses: Counter, refusals: list) -> str:
    """One registration, sent again with the same Idempotency-Key until it is answered; its mentee id."""
    key = {"Idempotency-Key": str(uuid.uuid4())}
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=15) as client:
        while time.monotonic() < deadline:
            try:
                answer = await client.post(f"{url}/mentees", json=body, headers=headers | key)
            except httpx.TransportError:
                statuses["no answer"] += 1
                await asyncio.sleep(0.2)
                continue
            statuses[answer.status_code] += 1
            if answer.status_code not in RETRIED:
                assert answer.status_code == 201, answer.text
                return answer.json()["mentee_id"]
            refusals.append((answer.headers.get("Retry-After"), answer.json()))
            await asyncio.sleep(0.2)
    raise AssertionError(f"a registration was not answered within 120 s: {statuses}")


@pytest.mark.timeout(300)
def test_a_killed_database_is_a_503_with_retry_after_and_every_retried_command_counts_once(tmp_path: Path):
    home = tmp_path / "duo"
    platform = start_platform(home)
    try:
        coordinator = staff(home, "coordinator")
        statuses: Counter = Counter()
        refusals: list = []

        async def scenario() -> list[str]:
            url = platform.urls["intake"]
            clients = []
            for number in range(120):
                clients.append(asyncio.create_task(careful_client(url, coordinator, mentee(), statuses, refusals)))
                if number == 30:
                    os.kill(postmaster_pid(home), signal.SIGKILL)
                await asyncio.sleep(0.1)
            return await asyncio.gather(*clients)

        registered = asyncio.run(scenario())
        assert 500 not in statuses and statuses[503] > 0, statuses
        for retry_after, body in refusals:
            assert retry_after is not None and int(retry_after) > 0, body
            assert body["errors"][0]["field"] == "database" and "Idempotency-Key" in body["detail"], body
        endpoints = read_endpoints(home)
        assert endpoints is not None

        async def stored() -> Counter:
            con = await asyncpg.connect(endpoints.database_url("duo_intake"))
            try:
                rows = await con.fetch("SELECT stream_id FROM events WHERE event_type = 'MenteeRegistered'")
            finally:
                await con.close()
            return Counter(r["stream_id"].removeprefix("mentee-") for r in rows)

        counted = asyncio.run(stored())
        assert len(set(registered)) == 120 and all(counted[m] == 1 for m in registered), counted
        assert sum(counted.values()) == 120  # no command done twice by its retries
    finally:
        stop_platform(platform)
