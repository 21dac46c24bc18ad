"""Read every partition again from its beginning, once, when the broker's log started again.

A broker that answers with a new cluster id holds a new log: the embedded broker keeps its log in memory and
comes back empty after a restart, and the stores are then published to it again (devtool/stack.py). The
offsets a consumer held for the old log, or committed to the new broker before it noticed, point anywhere in
the new one, past events the republish placed lower. Reading each partition from its beginning is safe: the
consumers skip what they already applied (ADR 5 and 12). Apache Kafka keeps its cluster id, so there this never
happens.

The seek is never made under a batch being handled: that batch's failure would seek its partitions back to
its own first offsets (FastStream's nack) and undo the rewind, and a commit of its offsets could come after ours.
While a batch is handled, the rewind waits, and the subscriber makes it when the batch ends (`after_batch`); the
offsets of a batch begun before the new log was seen are never committed (commits.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError

log = structlog.get_logger("consumer")
COMMIT_TIMEOUT_S = 10.0  # a commit the broker does not answer is given up: the rewind is repeated later


async def _nothing_in_flight() -> None:
    """A consumer that commits only with each rewind: nothing to wait for."""


class RewindOnNewLog(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """A rebalance listener that, after `cluster_seen` reported a new cluster id, starts each partition of the
    consumer at its beginning the first time it holds it in the new log (now, or when it is assigned later)."""

    def __init__(
        self,
        name: str,
        consumer: Callable[[], AIOKafkaConsumer | None],
        forget: Callable[[Iterable[TopicPartition]], None] = lambda partitions: None,
        settle: Callable[[], Awaitable[None]] = _nothing_in_flight,
    ) -> None:
        self._name = name
        self._consumer = consumer  # FastStream builds the consumer when the broker starts
        self._forget = forget  # the progress shown for these partitions belongs to the old log
        self._settle = settle  # the old log's offsets: kept ones dropped, one in flight committed before our 0
        self._cluster_id: str | None = None
        self._rewound: set[TopicPartition] | None = None  # None until a new log was seen
        self._pending = False  # a new log was seen while a batch was being handled
        self._handling = 0
        self.generation = 0  # counts the new logs seen: a batch that saw it change is abandoned, not nacked

    async def cluster_seen(self, cluster_id: str | None) -> None:
        """The broker answered with this cluster id; the first one seen is the log this process started on."""
        if cluster_id is None or cluster_id == self._cluster_id:
            return
        first = self._cluster_id is None
        self._cluster_id = cluster_id
        if first:
            return
        self._rewound = set()
        self.generation += 1
        self._pending = True
        log.warning(
            "the broker's log started again (new cluster id): reading every partition from its beginning",
            consumer=self._name,
        )
        if not self._handling:
            await self._rewind_pending()

    @contextlib.contextmanager
    def handling(self) -> Iterator[int]:
        """Around the handling of one batch; yields the generation it started in."""
        self._handling += 1
        try:
            yield self.generation
        finally:
            self._handling -= 1

    async def after_batch(self) -> None:
        """Called by the subscriber once a batch was handled, before its offsets are kept: the rewind that waited."""
        if self._pending and not self._handling:
            await self._rewind_pending()

    async def rewind_again(self) -> None:
        """Every held partition to its beginning again, now (the subscriber left a batch it cannot trust)."""
        consumer = self._consumer()
        if consumer is not None and self._rewound is not None:
            self._pending = False
            await self._settle()  # called between batches: no batch can begin meanwhile
            await self._rewind(consumer, consumer.assignment())

    async def _rewind_pending(self) -> None:
        consumer = self._consumer()
        if consumer is None:
            return
        await self._settle()
        if self._handling:  # a batch began while the commit in flight was waited for: its end rewinds
            return
        self._pending = False
        await self._rewind(consumer, consumer.assignment())

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to do: positions live in the consumer's own tables."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """A partition first held since the new log was seen starts at its beginning."""
        consumer = self._consumer()
        if self._rewound is not None and consumer is not None:
            await self._rewind(consumer, set(assigned) - self._rewound)

    async def _rewind(self, consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]) -> None:
        assert self._rewound is not None
        seeked = []
        for partition in partitions:
            try:
                # Offset 0, not `seek_to_beginning`, which waits on the fetcher inside a rebalance: a log that
                # starts later answers "out of range", and `auto_offset_reset="earliest"` moves to its start.
                consumer.seek(partition, 0)
            except IllegalStateError:  # taken away meanwhile: rewound when it is assigned again
                continue
            seeked.append(partition)
        if not seeked:
            return
        self._forget(seeked)
        try:
            # Committed at once: an offset committed to the new broker before the change was seen (from the old
            # log) would otherwise be where the next rebalance puts the consumer, past what it never read.
            await asyncio.wait_for(consumer.commit(dict.fromkeys(seeked, 0)), COMMIT_TIMEOUT_S)
        except Exception as err:  # in a rebalance, say: rewound (and committed) again when next assigned
            log.warning(
                "rewind not committed, repeated at the next assignment", consumer=self._name, error=type(err).__name__
            )
            return
        self._rewound.update(seeked)
