"""A consumer's Kafka offsets committed at most once every COMMIT_INTERVAL_S, not after every batch.

What a consumer applied is in its own tables, written in the batch's transaction (its stream positions and event
ids): the offset committed to Kafka only says where a consumer that takes a partition over (after a restart or a
rebalance) starts reading, and what it reads again there it skips (ADR 5 and 12). A commit after every batch cost
a request to the broker and its answer for each batch: at 200 registrations a second, reporting applies 40 to 50
batches a second, and the commits were about a twentieth of its CPU samples (docs/performance.md section 8,
sixteenth session). So the offsets of the batches handled are kept and committed once the interval has
passed since the last commit: by the batch that finds it passed, or by a timer when no batch comes. A restart
reads again the batches since the last commit (a second's, unless commits were failing), and skips them; a consumer
that stops commits what it kept first (`close`).

Only the offsets of batches handled to their end are committed, never "every consumed position", which can run
ahead of a batch still in hand (a crash would then skip it). None kept under an earlier log is committed after a
rewind (rewind.py), and the rewind waits for a commit in flight (`settle`) before it commits 0: the old log's
offsets committed after the rewind's would put a restarted consumer past events of the new log it never read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from aiokafka import TopicPartition

from shared.consuming.rewind import COMMIT_TIMEOUT_S  # one bound for every commit; past it, the next carries them

log = structlog.get_logger("consumer")
COMMIT_INTERVAL_S = 1.0  # at most one commit a second; what a restart reads again (and skips)


class OffsetCommits:
    """The offsets of one consumer's handled batches, committed at most once every `interval_s`; `generation` tells
    the log the consumer reads now (RewindOnNewLog.generation)."""

    def __init__(self, name: str, generation: Callable[[], int], interval_s: float = COMMIT_INTERVAL_S) -> None:
        self._name = name
        self._generation_now = generation
        self._interval_s = interval_s
        self._handled: dict[TopicPartition, int] = {}  # the next offset to read, per partition
        self._generation = generation()  # the log the kept offsets belong to
        self._consumer: Any = None  # the AIOKafkaConsumer that read them
        self._last = float("-inf")  # the loop's time of the last commit
        self._timer: asyncio.TimerHandle | None = None
        self._committing: asyncio.Task[None] | None = None
        self._closed = False

    def handled(self, consumer: Any, records: Iterable[Any], generation: int) -> None:
        """A batch was handled to its end, begun under the log `generation`: its offsets are committed now, if
        the interval has passed since the last commit, or once it has."""
        if consumer is None or self._closed or generation != self._generation_now():
            return  # read from a log that was replaced meanwhile: never committed
        if generation != self._generation:  # the first batch of a new log: the old one's offsets are dropped
            self._handled.clear()
            self._generation = generation
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._handled[partition] = max(self._handled.get(partition, 0), record.offset + 1)
        self._consumer = consumer
        self._schedule()

    async def settle(self) -> None:
        """The broker's log started again (rewind.py): what was kept is dropped and a commit in flight is waited
        for, so that the rewind's commit of offset 0 reaches the broker after it, not before."""
        self._stop_timer()
        self._handled.clear()
        await self._in_flight()

    async def close(self) -> None:
        """The consumer stops: what was kept is committed now, and nothing after."""
        self._stop_timer()
        await self._in_flight()
        await self._commit()
        self._closed = True

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _in_flight(self) -> None:
        if self._committing is not None and not self._committing.done():
            await asyncio.wait({self._committing})  # its own failure is logged by it; waited for, not raised here

    def _schedule(self) -> None:
        if self._closed:
            return
        if self._timer is None and not (self._committing is not None and not self._committing.done()):
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(max(loop.time(), self._last + self._interval_s), self._commit_now)

    def _commit_now(self) -> None:
        self._timer = None
        self._committing = asyncio.get_running_loop().create_task(self._commit())
        # Batches handled while this commit was in flight: theirs one interval after it.
        self._committing.add_done_callback(lambda _: self._schedule() if self._handled else None)

    async def _commit(self) -> None:
        offsets, self._handled = self._handled, {}
        generation, consumer = self._generation, self._consumer
        if not offsets or consumer is None or generation != self._generation_now():
            return  # the log started again since: its rewind committed the new log's offsets
        self._last = asyncio.get_running_loop().time()
        try:
            held = consumer.assignment()  # a partition taken away meanwhile is its new holder's to commit
            offsets = {partition: offset for partition, offset in offsets.items() if partition in held}
            if offsets:
                await asyncio.wait_for(consumer.commit(offsets), COMMIT_TIMEOUT_S)
        except Exception as err:  # a hint only: kept for the next commit, unless the log changed meanwhile
            log.info("offsets not committed, kept for the next commit", consumer=self._name, error=type(err).__name__)
            if generation == self._generation_now():
                for partition, offset in offsets.items():
                    self._handled[partition] = max(self._handled.get(partition, 0), offset)
