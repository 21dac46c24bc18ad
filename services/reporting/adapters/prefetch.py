"""Fetch from Kafka on a thread of its own while the replay decodes and writes on its event loop.

On one event loop, aiokafka asks the broker for a partition's next records only once its buffer is drained,
and the request goes out only when the loop is free: the replay's decoding and the broker's answer took
turns (about 40% of an instrumented replay was spent waiting for fetches, docs/performance.md). A consumer on
its own thread and loop keeps a few fetched batches ready, so the broker's round trips overlap the decoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

Batches = dict[TopicPartition, list[ConsumerRecord]]
READY_BATCHES = 1  # one fetched batch waits while the last is decoded: as fast as more here, and memory stays flat
_PUT_WAIT_S = 0.1


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class ThreadedFetcher:
    """`getmany` answered from batches a consumer on another thread fetched ahead.

    `new_consumer` makes and starts the consumer on that thread (an aiokafka client belongs to the event loop it
    was made on).
    """

    def __init__(self, new_consumer: Callable[[], Awaitable[AIOKafkaConsumer]], max_records: int = 2500) -> None:
        self._new_consumer = new_consumer
        self._max_records = max_records
        self._ready: queue.Queue[Batches | _Failed] = queue.Queue(maxsize=READY_BATCHES)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._fetch()), name="replay-fetch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def getmany(self, timeout_ms: int) -> Batches:
        """The next fetched batch; empty when nothing came within `timeout_ms`; the fetch's error, raised."""
        try:
            item = await asyncio.to_thread(self._ready.get, timeout=timeout_ms / 1000)
        except queue.Empty:
            return {}
        if isinstance(item, _Failed):
            raise item.error
        return item

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.to_thread(self._thread.join)

    async def _fetch(self) -> None:
        consumer: AIOKafkaConsumer | None = None
        try:
            consumer = await self._new_consumer()
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self._max_records)
                if batches:
                    self._hand_over(batches)
        except Exception as err:  # handed to the replay, which stops
            self._hand_over(_Failed(err))
        finally:
            if consumer is not None:
                # A consumer whose broker went away may fail to stop too: the error that matters was handed over.
                with contextlib.suppress(Exception):
                    await consumer.stop()

    def _hand_over(self, item: Batches | _Failed) -> None:
        # Blocks this thread's loop while the replay is behind: the consumer fetches no more than it keeps.
        while not self._stopping.is_set():
            try:
                self._ready.put(item, timeout=_PUT_WAIT_S)
                return
            except queue.Full:
                continue
