"""Read every partition again from its beginning, once, when the broker's log started again.

A broker that answers with a new cluster id holds a new log: the embedded broker keeps its log in memory and
comes back empty after a restart, and the stores are then published to it again (shared/infra/stack.py). The
offsets a consumer held for the old log, or committed to the new broker before it noticed, point anywhere in
the new one, past events the republish placed lower. Reading each partition from its beginning is safe: the
consumers skip what they already applied (ADR 5 and 12). Apache Kafka keeps its cluster id, so there this never
happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError

log = structlog.get_logger("consumer")


class RewindOnNewLog(ConsumerRebalanceListener):
    """A rebalance listener that, after `cluster_seen` reported a new cluster id, starts each partition of the
    consumer at its beginning the first time it holds it in the new log (now, or when it is assigned later)."""

    def __init__(self, name: str, consumer: Callable[[], AIOKafkaConsumer | None]) -> None:
        self._name = name
        self._consumer = consumer  # FastStream builds the consumer when the broker starts
        self._cluster_id: str | None = None
        self._rewound: set[TopicPartition] | None = None  # None until a new log was seen

    async def cluster_seen(self, cluster_id: str | None) -> None:
        """The broker answered with this cluster id; the first one seen is the log this process started on."""
        if cluster_id is None or cluster_id == self._cluster_id:
            return
        first = self._cluster_id is None
        self._cluster_id = cluster_id
        if first:
            return
        self._rewound = set()
        log.warning(
            "the broker's log started again (new cluster id): reading every partition from its beginning",
            consumer=self._name,
        )
        consumer = self._consumer()
        if consumer is not None:
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
        try:
            # Committed at once: an offset committed to the new broker before the change was seen (from the old
            # log) would otherwise be where the next rebalance puts the consumer, past what it never read.
            await consumer.commit(dict.fromkeys(seeked, 0))
        except Exception as err:  # in a rebalance, say: rewound (and committed) again when next assigned
            log.warning(
                "rewind not committed, repeated at the next assignment", consumer=self._name, error=type(err).__name__
            )
            return
        self._rewound.update(seeked)
