"""The platform's health as /coordination carries it (services/reporting/api/health_snapshot.py): one look shared
by the reads of a few seconds, its age said, never older than its bound, a new list of services looked at at once."""

from __future__ import annotations

import asyncio
from typing import Any

from services.reporting.api.health_snapshot import HealthSnapshot


class Looks:
    """A look that answers its own number: which look an answer came from."""

    def __init__(self) -> None:
        self.count = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> dict[str, Any]:
        self.count += 1
        number = self.count
        await self.release.wait()
        return {"look": number}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def settled(snapshot: HealthSnapshot) -> None:
    """The background look, if one started, finished."""
    if snapshot._refreshing is not None:
        await snapshot._refreshing


async def test_reads_within_the_fresh_time_share_one_look_and_say_its_age():
    clock, look = Clock(), Looks()
    snapshot = HealthSnapshot(fresh_for_s=2.0, max_age_s=10.0, clock=clock)
    first = await snapshot.read("key", look)
    assert first["look"] == 1 and first["age_s"] == 0.0 and first["checked_at"]
    clock.now += 1.5
    again = await snapshot.read("key", look)
    assert again["look"] == 1 and again["age_s"] == 1.5 and again["checked_at"] == first["checked_at"]
    assert look.count == 1


async def test_a_stale_read_answers_the_last_look_and_starts_one_new_look_in_the_background():
    clock, look = Clock(), Looks()
    snapshot = HealthSnapshot(fresh_for_s=2.0, max_age_s=10.0, clock=clock)
    await snapshot.read("key", look)
    clock.now += 3.0
    look.release.clear()  # the new look is under way while two more reads come
    stale = await snapshot.read("key", look)
    also_stale = await snapshot.read("key", look)
    assert stale["look"] == also_stale["look"] == 1 and stale["age_s"] == 3.0
    look.release.set()
    await settled(snapshot)
    assert look.count == 2  # one background look for both reads
    fresh = await snapshot.read("key", look)
    assert fresh["look"] == 2 and fresh["age_s"] == 0.0


async def test_a_read_past_the_maximum_age_waits_for_a_new_look():
    clock, look = Clock(), Looks()
    snapshot = HealthSnapshot(fresh_for_s=2.0, max_age_s=10.0, clock=clock)
    await snapshot.read("key", look)
    clock.now += 10.5
    answer = await snapshot.read("key", look)
    assert answer["look"] == 2 and answer["age_s"] == 0.0


async def test_another_list_of_services_is_looked_at_at_once():
    clock, look = Clock(), Looks()
    snapshot = HealthSnapshot(fresh_for_s=2.0, max_age_s=10.0, clock=clock)
    await snapshot.read((("intake", "http://a"),), look)
    answer = await snapshot.read((("intake", "http://a"), ("tracking", "http://b")), look)
    assert answer["look"] == 2


async def test_a_failed_background_look_keeps_the_last_one_until_it_ages_out():
    clock = Clock()
    snapshot = HealthSnapshot(fresh_for_s=2.0, max_age_s=10.0, clock=clock)
    await snapshot.read("key", Looks())

    async def broken() -> dict[str, Any]:
        raise OSError("no answer")

    clock.now += 3.0
    assert (await snapshot.read("key", broken))["look"] == 1
    await settled(snapshot)
    clock.now += 1.0
    assert (await snapshot.read("key", Looks()))["age_s"] == 4.0  # still the first look; a new one is under way
    await snapshot.close()
