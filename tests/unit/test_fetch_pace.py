"""The fetch wait of a consumer whose freshness matters: short while batches arrive, the idle one after a pause."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.consumer.fetcher import Fetcher

from shared.consuming.fetch_pace import FetchPace, fetcher_of


class _Fetcher:
    def __init__(self, wait_ms: int) -> None:
        self._fetch_max_wait_ms = wait_ms


class _Consumer:
    def __init__(self, wait_ms: int) -> None:
        self._fetcher = _Fetcher(wait_ms)


async def _until(condition, within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the deadline"
        await asyncio.sleep(0.01)


async def test_a_batch_shortens_the_wait_and_a_pause_restores_the_idle_one():
    consumer = _Consumer(100)
    pace = FetchPace(idle_ms=100, flowing_ms=25, idle_after_s=0.2)
    pace.after_batch(consumer)
    assert consumer._fetcher._fetch_max_wait_ms == 25
    await _until(lambda: consumer._fetcher._fetch_max_wait_ms == 100)


async def test_each_batch_puts_the_return_to_idle_off_again():
    consumer = _Consumer(100)
    pace = FetchPace(idle_ms=100, flowing_ms=25, idle_after_s=60)
    pace.after_batch(consumer)
    first = pace._back_to_idle
    pace.after_batch(consumer)
    assert first is not None and first.cancelled()  # the pause counts from the last batch, not the first
    assert pace._back_to_idle is not None and not pace._back_to_idle.cancelled()
    assert consumer._fetcher._fetch_max_wait_ms == 25


def test_the_flowing_wait_is_positive_and_no_longer_than_the_idle_one():
    with pytest.raises(ValueError, match="flowing_ms"):
        FetchPace(idle_ms=100, flowing_ms=200)
    with pytest.raises(ValueError, match="flowing_ms"):
        FetchPace(idle_ms=100, flowing_ms=0)


def test_no_consumer_or_an_equal_wait_changes_nothing():
    FetchPace(idle_ms=100, flowing_ms=25).after_batch(None)
    consumer = _Consumer(100)
    FetchPace(idle_ms=100, flowing_ms=100).after_batch(consumer)
    assert consumer._fetcher._fetch_max_wait_ms == 100


def test_aiokafka_builds_each_fetch_request_from_the_attribute_the_pace_sets():
    """aiokafka has no public setter: an upgrade that stops reading the attribute per request fails here, not
    silently in production (the wait would stay the idle one)."""
    assert "_fetch_max_wait_ms" in Fetcher.__init__.__code__.co_names  # kept on the fetcher
    assert "_fetch_max_wait_ms" in Fetcher._get_actions_per_node.__code__.co_names  # read when a request is built


async def test_a_consumer_without_the_fetcher_is_refused_loudly():
    consumer = AIOKafkaConsumer("t", bootstrap_servers="127.0.0.1:9", fetch_max_wait_ms=100)  # not started: no fetcher
    with pytest.raises(TypeError, match="no fetcher"):
        fetcher_of(consumer)


async def test_a_consumer_whose_wait_cannot_be_set_keeps_its_batches_going():
    """The pace is an optimisation: a consumer without the fetcher it sets is left at its idle wait, never failed."""
    pace = FetchPace(idle_ms=100, flowing_ms=25)
    pace.after_batch(object())  # no fetcher: nothing raised
    pace.after_batch(object())  # and not tried again
    assert pace._back_to_idle is None
