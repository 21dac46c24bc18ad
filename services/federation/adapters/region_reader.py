"""One reader per region: the region's federation topic, on its own cluster, read for its newest figures.

Each region's message is its whole published state (shared/federation_figures.py), so a reader needs only the
last one: it starts a few messages before the topic's end and keeps reading. A region whose cluster does not
answer keeps its last figures here (shown as stale with their age by the roll-up), and the reader tries again every
second; a cluster that came back with an empty log (a new broker) is read from its beginning, and the region's next
beat brings its figures back. A message that is not the region's reporting's, signed, is logged (its reason only)
and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events.keyfiles import KeyringFile
from shared.federation_figures import RegionFigures
from shared.federation_messages import from_message
from shared.kafka import KafkaSecurity, aiokafka_options

log = structlog.get_logger("federation")
T = TypeVar("T")
RETRY_S = 1.0
# Messages read back from the end at start: the newest is enough, unless someone else wrote after it (skipped).
LOOK_BACK = 10
LOOK_S = 3.0  # how often the cluster is asked whether it still answers
STEP_S = 5.0  # how long the cluster has to answer a start or a question
METADATA_MAX_AGE_MS = 5_000


class LogMoved(RuntimeError):
    """The region's log is not where the reader stands any more: it starts again."""


@dataclass
class RegionReader:
    """The newest figures of one region, kept up to date by `run`."""

    region: str
    bootstrap: str
    topic: str
    keyring: KeyringFile
    security: KafkaSecurity | None = None
    figures: RegionFigures | None = None
    refused: int = 0  # messages skipped: not the region's reporting's, or not the agreed shape
    reachable: bool = False
    _consumer: AIOKafkaConsumer | None = field(default=None, repr=False)

    def take(self, headers: list[tuple[str, bytes]], value: bytes | None) -> None:
        """Keep the figures of one message if they are the region's and newer than those kept."""
        figures, refusal = from_message(headers, value, self.keyring, self.region)
        if figures is None:
            self.refused += 1
            log.warning("federation message skipped", region=self.region, reason=refusal)
            return
        if self.figures is None or figures.sent_at >= self.figures.sent_at:
            self.figures = figures

    async def run(self) -> None:
        """Read until cancelled; a cluster out of reach is tried again, never the end of the reader."""
        while True:
            try:
                await self._read()
            except (Exception, asyncio.CancelledError) as err:
                task = asyncio.current_task()
                if isinstance(err, asyncio.CancelledError) and task is not None and task.cancelling():
                    raise  # the service stops; a cancellation of the client's own (a dead broker's) is not that
                self.reachable = False
                log.warning("region's cluster out of reach; trying again", region=self.region, error=type(err).__name__)
            finally:
                await self._close()
            await asyncio.sleep(RETRY_S)

    async def _read(self) -> None:
        partition = TopicPartition(self.topic, 0)  # the topic has one partition (deploy/topics.toml [federation])
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,  # no group, no offsets kept: the newest message is all a reader needs
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a log that started again (a new broker) is read from its beginning
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            request_timeout_ms=10_000,
            **aiokafka_options(self.security),
        )
        # Each step bounded: a cluster that does not answer, or whose topic is not made yet (a new broker before the
        # region's reporting made it), must not hold the reader for ever.
        await _bounded(self._consumer.start(), "start")
        self._consumer.assign([partition])
        end = (await _bounded(self._consumer.end_offsets([partition]), "end offsets"))[partition]
        self._consumer.seek(partition, max(end - LOOK_BACK, 0))
        self.reachable = True
        looked, seen = time.monotonic(), -1
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000)
            for record in (r for records in batches.values() for r in records):
                self.take(list(record.headers or ()), record.value)
            if time.monotonic() - looked >= LOOK_S:
                # A fetch from a broker that is gone returns nothing, as from one with nothing new: ask it
                # something. An error (or no answer) starts the reader again, on whatever log the cluster has then;
                # so does a log shorter than where the reader is (a new broker), or one that grew while the reader
                # stood still (a fetch stuck on a partition it learnt of before the topic was made again).
                end = (await _bounded(self._consumer.end_offsets([partition]), "end offsets"))[partition]
                position = await _bounded(self._consumer.position(partition), "position")
                if end < position or (end > position and position == seen):
                    raise LogMoved(f"the log ends at {end}, the reader stands at {position}")
                looked, seen = time.monotonic(), position

    async def _close(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(Exception):  # bounded too: stopping a client of a dead broker can hang
                await _bounded(self._consumer.stop(), "stop")
            self._consumer = None


async def _bounded(step: Awaitable[T], what: str) -> T:
    """`step` if it ends within STEP_S, else TimeoutError; a step that does not end is cancelled and left behind,
    never waited for (a client of a dead broker may not heed its cancellation at once, and asyncio.wait_for would
    wait for it: the reader would hang)."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=STEP_S)
    if not done:
        task.cancel()
        raise TimeoutError(f"{what}: no answer within {STEP_S} s")
    if task.cancelled():  # the client cancelled its own step (a stop of a dead broker's client does): a failure here
        raise ConnectionError(f"{what}: the client gave up")
    return task.result()
