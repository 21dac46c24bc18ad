"""Faults under a steady load, with nobody typing a command: the broker and then a service are killed (-9)
while coordinators register mentees and change their availability right after. Every answered command is in
the store once, on the topic, counted once by reporting, and applied in stream order by matching's pool (which
read the new broker's log from its beginning); each restart is said with its cause."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from devtool.processes import owned_processes
from shared.endpoints import read_endpoints
from tests.cli import wait_until
from tests.e2e.conftest import service_processes, start_platform, stop_platform
from tests.e2e.test_walking_skeleton import mentee, staff
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.e2e


async def load(intake: str, headers: dict, seconds: float, rate: float) -> dict[str, list[str]]:
    """Registrations, each followed by a change of availability; the availability answered for each mentee."""
    answered: dict[str, list[str]] = {}
    async with httpx.AsyncClient(timeout=15) as client:

        async def one() -> None:
            try:
                registered = await client.post(f"{intake}/mentees", json=mentee(), headers=headers)
                if registered.status_code != 201:
                    return
                mentee_id = registered.json()["mentee_id"]
                answered[mentee_id] = ["tue-evening", "sat-morning"]
            except httpx.HTTPError:
                return  # no answer while a part was down: nothing is claimed about it
            parts = ["wed-evening"]
            try:
                changed = await client.patch(
                    f"{intake}/mentees/{mentee_id}",
                    headers=headers,
                    json={"availability": {"hours_per_week": 4, "day_parts": parts}},
                )
            except httpx.HTTPError:
                # The change may have been recorded before intake died or the answer was lost (seen in CI at
                # 13:35 on 2026-12-06: the event there, no 200): the mentee's availability is not claimed.
                answered.pop(mentee_id)
                return
            if changed.status_code == 200:
                answered[mentee_id] = parts

        tasks, started = [], time.monotonic()
        while time.monotonic() - started < seconds:
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    return answered


@pytest.mark.timeout(420)
def test_the_platform_heals_from_a_dead_broker_and_a_dead_service_under_load(tmp_path: Path):
    home = tmp_path / "duo"
    platform = start_platform(home)
    try:
        coordinator, funder = staff(home, "coordinator"), staff(home, "funder")

        async def scenario() -> dict[str, list[str]]:
            running = asyncio.create_task(load(platform.urls["intake"], coordinator, 15, 8))
            await asyncio.sleep(3)
            [broker] = owned_processes(str(home), "tansu")
            broker.kill()
            await asyncio.sleep(5)
            service_processes(platform)["intake"].kill()
            return await running

        answered = asyncio.run(scenario())
        assert len(answered) > 20, "the load did not get going"
        endpoints = read_endpoints(home)
        assert endpoints is not None

        async def stored() -> dict[str, list[tuple[int, str]]]:
            con = await asyncpg.connect(endpoints.database_url("duo_intake"))
            try:
                rows = await con.fetch("SELECT stream_id, stream_version, event_type FROM events")
            finally:
                await con.close()
            streams: dict[str, list[tuple[int, str]]] = {}
            for row in rows:
                streams.setdefault(row["stream_id"], []).append((row["stream_version"], row["event_type"]))
            return streams

        streams = asyncio.run(stored())
        registered = {s.removeprefix("mentee-") for s, events in streams.items() if (1, "MenteeRegistered") in events}
        assert set(answered) <= registered and sum(len(e) for e in streams.values()) == len(
            {(s, v) for s, events in streams.items() for v, _ in events}
        )  # each fact once

        def counted() -> bool:
            try:
                return httpx.get(f"{platform.urls['reporting']}/stats/mentees", headers=funder, timeout=10).json()[
                    "total"
                ] == len(registered)
            except (httpx.HTTPError, KeyError, ValueError):
                return False

        wait_until(counted, 120, "reporting counting every registration once, with nobody typing a command")
        records = asyncio.run(read_topic(endpoints.kafka_bootstrap, "duo.intake.events", len(registered)))
        on_topic = {
            json.loads(r.value)["mentee_id"] for r in records if dict(r.headers)["ce_type"] == b"MenteeRegistered"
        }
        assert on_topic >= registered  # the new broker got every store republished by itself

        async def pool() -> dict[str, list[str]]:
            con = await asyncpg.connect(endpoints.database_url("duo_matching"))
            try:
                rows = await con.fetch("SELECT mentee_id::text AS id, day_parts FROM pool_mentees")
                return {r["id"]: list(r["day_parts"]) for r in rows}
            finally:
                await con.close()

        def applied_in_order() -> bool:
            seen = asyncio.run(pool())
            return all(seen.get(m) == parts for m, parts in answered.items())

        # A change applied before its registration would be lost, and a consumer resuming the new log at its old
        # offsets would miss what the republish put lower: matching's pool shows each answered availability.
        try:
            wait_until(applied_in_order, 240, "matching's pool holding every answered availability")
        except AssertionError:
            seen = asyncio.run(pool())
            wrong = {m: (parts, seen.get(m)) for m, parts in answered.items() if seen.get(m) != parts}
            health = httpx.get(f"{platform.urls['matching']}/health", timeout=10).json()
            raise AssertionError(
                f"{len(wrong)} of {len(answered)} differ, e.g. {list(wrong.items())[:3]}; "
                f"matching's health: {json.dumps(health)[:3000]}"
            ) from None
        assert "the broker's log started again" in platform.log.read_text(errors="replace")
        log = platform.log.read_text(errors="replace")
        assert "restarting" in log and "kafka" in log and "intake" in log  # each restart said, with its cause
    finally:
        stop_platform(platform)
