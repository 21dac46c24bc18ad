"""The replay's fetch thread hands batches over in order, stops when asked, and surfaces its consumer's failure."""

from __future__ import annotations

import asyncio

import pytest

from services.reporting.adapters.prefetch import ThreadedFetcher


class ScriptedConsumer:
    """Answers `getmany` from a script; raises what the script holds; then nothing more."""

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.stopped = False

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        if not self.script:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    async def stop(self) -> None:
        self.stopped = True


def started(consumer: ScriptedConsumer):
    async def make() -> ScriptedConsumer:
        return consumer

    return make


async def test_a_consumer_that_cannot_start_fails_the_replay():
    async def unreachable() -> ScriptedConsumer:
        raise ConnectionError("no broker")

    fetcher = ThreadedFetcher(unreachable)
    fetcher.start()
    with pytest.raises(ConnectionError, match="no broker"):
        await fetcher.getmany(timeout_ms=2000)
    await fetcher.stop()


async def test_batches_arrive_in_order_and_the_consumer_is_stopped():
    consumer = ScriptedConsumer([{"p0": [1, 2]}, {"p1": [3]}, {"p0": [4]}])
    fetcher = ThreadedFetcher(started(consumer))
    fetcher.start()
    got = [await fetcher.getmany(timeout_ms=2000) for _ in range(3)]
    assert got == [{"p0": [1, 2]}, {"p1": [3]}, {"p0": [4]}]
    assert await fetcher.getmany(timeout_ms=50) == {}  # nothing more came
    await fetcher.stop()
    assert consumer.stopped


async def test_a_failing_consumer_fails_the_replay():
    fetcher = ThreadedFetcher(started(ScriptedConsumer([{"p0": [1]}, ConnectionError("broker gone")])))
    fetcher.start()
    assert await fetcher.getmany(timeout_ms=2000) == {"p0": [1]}
    with pytest.raises(ConnectionError, match="broker gone"):
        await fetcher.getmany(timeout_ms=2000)
    await fetcher.stop()
