"""Two replicas of intake and of reporting on the same databases and broker, one of each killed (-9) under a
steady load of registrations: every answered registration is in the store once, on the topic, and counted once;
the relay's leadership and the consumer group's partitions move to the survivors by themselves."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.endpoints import read_endpoints
from tests.cli import duo, start_duo, wait_until
from tests.e2e.conftest import can_bind, free_port_offset
from tests.e2e.test_walking_skeleton import mentee, staff
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.e2e


def serve(home: Path, service: str, port: int):
    return start_duo(home, "serve", service, "--port", str(port), log=home.parent / f"{service}-{port}.log")


def healthy(url: str, service: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).json().get("service") == service
    except (httpx.HTTPError, ValueError):
        return False


async def steady_load(urls: list[str], headers: dict, seconds: float, rate: float, killed: dict) -> list[str]:
    """Registrations at a steady rate, spread over the replicas still up; the ids of those answered 201."""
    answered: list[str] = []
    async with httpx.AsyncClient(timeout=10) as client:

        async def one(index: int) -> None:
            live = [u for u in urls if u not in killed]
            try:
                answer = await client.post(f"{live[index % len(live)]}/mentees", json=mentee(), headers=headers)
            except httpx.HTTPError:
                return  # no answer: the client cannot know, and nothing is claimed about it
            if answer.status_code == 201:
                answered.append(answer.json()["mentee_id"])

        tasks, started, index = [], time.monotonic(), 0
        while time.monotonic() - started < seconds:
            tasks.append(asyncio.create_task(one(index)))
            index += 1
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    return answered


@pytest.mark.timeout(300)
def test_two_replicas_of_intake_and_of_reporting_survive_losing_one_of_each(tmp_path: Path):
    home = tmp_path / "duo"
    assert duo(home, "infra", "up").returncode == 0
    offset = free_port_offset()
    ports = {"intake": (8001 + offset, 8011 + offset), "reporting": (8004 + offset, 8014 + offset)}
    assert all(can_bind(p) for pair in ports.values() for p in pair)
    processes = {(s, p): serve(home, s, p) for s, pair in ports.items() for p in pair}
    try:
        for (service, port), _ in processes.items():
            log = home.parent / f"{service}-{port}.log"
            wait_until(lambda s=service, p=port: healthy(f"http://127.0.0.1:{p}", s), 90, f"{service} on {port}", log)
        coordinator, funder = staff(home, "coordinator"), staff(home, "funder")
        intakes = [f"http://127.0.0.1:{p}" for p in ports["intake"]]
        killed: dict[str, bool] = {}

        async def scenario() -> list[str]:
            load = asyncio.create_task(steady_load(intakes, coordinator, 12, 15, killed))
            await asyncio.sleep(4)
            # One intake (perhaps the relay's leader) and one reporting replica die with no goodbye.
            for service in ("intake", "reporting"):
                processes[(service, ports[service][0])].send_signal(signal.SIGKILL)
            killed[intakes[0]] = True
            return await load

        answered = asyncio.run(scenario())
        assert len(answered) > 50, "the load did not get going"
        survivor = f"http://127.0.0.1:{ports['reporting'][1]}"

        async def in_store() -> list[str]:
            endpoints = read_endpoints(home)
            assert endpoints is not None
            con = await asyncpg.connect(endpoints.database_url("duo_intake"))
            try:
                rows = await con.fetch(
                    "SELECT data->>'mentee_id' AS id FROM events WHERE event_type = 'MenteeRegistered'"
                )
                return [r["id"] for r in rows]
            finally:
                await con.close()

        stored = asyncio.run(in_store())
        assert len(stored) == len(set(stored)) and set(answered) <= set(stored)  # each answered one, once
        wait_until(
            lambda: httpx.get(f"{survivor}/stats/mentees", headers=funder, timeout=10).json()["total"] == len(stored),
            90,
            "the surviving reporting replica counting every registration once",
        )
        endpoints = read_endpoints(home)
        assert endpoints is not None
        records = asyncio.run(read_topic(endpoints.kafka_bootstrap, "duo.intake.events", len(stored)))
        on_topic = {
            json.loads(r.value)["mentee_id"] for r in records if dict(r.headers)["ce_type"] == b"MenteeRegistered"
        }
        assert on_topic == set(stored)  # the surviving intake's relay published what the dead one left behind
        assert httpx.get(f"{survivor}/stats/mentees", headers=funder, timeout=10).json()["total"] == len(stored)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except Exception:
                process.kill()
        duo(home, "infra", "down")
