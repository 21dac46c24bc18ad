"""What one consumer of this process has done since it started, for `/health` (shared/health.py).

The subscriber (shared/consuming/subscriber.py) updates it for every message. Kept in memory: a
restart starts it afresh, which is what "since start" means. Nothing here reads the broker's end
offsets (the embedded Tansu broker under-reports them): the lag is only a hint, from the highwater
the consumer's own last fetch of the partition saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition

from shared.clock import Clock, utc_now


@dataclass
class PartitionProgress:
    """One topic-partition as this consumer saw it."""

    topic: str
    partition: int
    offset: int | None = None  # the last offset processed: applied, skipped or parked (the offset moved on)
    started_at_offset: int | None = None  # the first offset it was given, before any was processed
    highwater: int | None = None  # the next offset the broker will assign, as of the consumer's last fetch

    @property
    def lag_hint(self) -> int | None:
        """Messages known to wait behind the last one processed; None when the consumer saw no highwater."""
        if self.highwater is None:
            return None
        next_offset = self.offset + 1 if self.offset is not None else self.started_at_offset
        if next_offset is None:
            return None
        return max(self.highwater - next_offset, 0)


@dataclass
class ConsumerProgress:
    """Progress of one consumer in this process: applied, processed, parked and failed, and where per partition."""

    consumer: str
    clock: Clock = utc_now
    started_at: datetime = field(init=False)
    applied: int = 0  # effects that ran
    last_applied_at: datetime | None = None
    processed: int = 0  # messages whose offset moved on: applied, duplicate, of no interest, or parked
    last_processed_at: datetime | None = None
    parked: int = 0  # messages parked since start (events and invalid messages)
    failures: int = 0  # failed attempts, each one redelivered or parked
    last_failure: str | None = None  # the error type of the last failed attempt, never its text
    partitions: dict[tuple[str, int], PartitionProgress] = field(default_factory=dict)
    # The Kafka client of the subscriber (aiokafka's consumer), to know which partitions are still assigned.
    client: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    def _partition(self, topic: str, partition: int) -> PartitionProgress:
        key = (topic, partition)
        if key not in self.partitions:
            self.partitions[key] = PartitionProgress(topic, partition)
        return self.partitions[key]

    def received(self, topic: str, partition: int, offset: int, highwater: int | None, client: Any = None) -> None:
        """A message is about to be handled; `highwater` is what the consumer's last fetch saw, if known."""
        state = self._partition(topic, partition)
        if state.offset is None and (state.started_at_offset is None or offset < state.started_at_offset):
            state.started_at_offset = offset
        if highwater is not None:
            state.highwater = highwater
        if client is not None:
            self.client = client

    def done(self, topic: str, partition: int, offset: int, applied: bool, parked: bool = False) -> None:
        """The message's offset moves on: its effect ran (`applied`), or it was parked, a duplicate or not ours."""
        now = self.clock()
        state = self._partition(topic, partition)
        state.offset = offset if state.offset is None else max(state.offset, offset)
        self.processed += 1
        self.last_processed_at = now
        if applied:
            self.applied += 1
            self.last_applied_at = now
        if parked:
            self.parked += 1

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """These partitions are read again from their beginning (a new log): what was shown of them is gone."""
        for partition in partitions:
            self.partitions.pop((partition.topic, partition.partition), None)

    def failed(self, error_type: str) -> None:
        """An attempt failed; the message is redelivered (or parked after too many attempts)."""
        self.failures += 1
        self.last_failure = error_type

    def assigned(self, topic: str, partition: int) -> bool | None:
        """Whether the partition is still this process's (after a rebalance it may be another's); None: unknown."""
        assignment = getattr(self.client, "assignment", None)
        if assignment is None:
            return None
        try:
            return TopicPartition(topic, partition) in assignment()
        except Exception:  # the client is stopping or restarting: unknown
            return None

    def refresh_highwaters(self) -> None:
        """Take the highwater of each still-assigned partition from the client's latest fetch, where it has one."""
        highwater = getattr(self.client, "highwater", None)
        if highwater is None:
            return
        for (topic, partition), state in self.partitions.items():
            try:
                seen = highwater(TopicPartition(topic, partition))
            except Exception:  # not assigned any more, or no fetch yet
                continue
            if seen is not None:
                state.highwater = seen
