"""After the broker's log started again (a new cluster id), each partition is read again from its beginning, once."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError

from shared.consuming.rewind import RewindOnNewLog

A, B, C = (TopicPartition("duo.intake.events", n) for n in range(3))


class FakeConsumer:
    """Records seeks; refuses one for a partition it does not hold, as aiokafka does."""

    def __init__(self, held: set[TopicPartition]) -> None:
        self.held = set(held)
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: list[dict[TopicPartition, int]] = []
        self.commit_fails = False
        self.listed: set[TopicPartition] | None = None  # what assignment() says, when not what it holds

    def assignment(self) -> set[TopicPartition]:
        return set(self.held if self.listed is None else self.listed)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if partition not in self.held:
            raise IllegalStateError(f"{partition} is not assigned")
        self.seeks.append((partition, offset))

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.commit_fails:
            raise RuntimeError("rebalance in progress")
        self.commits.append(offsets)


def test_the_log_the_process_started_on_is_never_rewound():
    consumer = FakeConsumer({A, B})
    rewind = RewindOnNewLog("reporting", lambda: consumer)

    async def run() -> None:
        await rewind.cluster_seen("duo-1")
        await rewind.cluster_seen("duo-1")
        await rewind.cluster_seen(None)  # the broker did not answer: nothing is known
        await rewind.on_partitions_assigned({A, B, C})

    asyncio.run(run())
    assert consumer.seeks == []


def test_a_new_cluster_id_rewinds_the_held_partitions_and_each_later_one_once():
    consumer = FakeConsumer({A, B})
    rewind = RewindOnNewLog("reporting", lambda: consumer)

    async def run() -> None:
        await rewind.cluster_seen("duo-1")
        await rewind.cluster_seen("duo-2")
        assert sorted(consumer.seeks) == [(A, 0), (B, 0)]
        consumer.held = {A, B, C}
        await rewind.on_partitions_assigned({A, B, C})  # only C is new to this log
        assert sorted(consumer.seeks) == [(A, 0), (B, 0), (C, 0)]
        await rewind.on_partitions_assigned({A, B, C})  # positions in the new log are kept from now on
        assert len(consumer.seeks) == 3
        await rewind.cluster_seen("duo-3")  # another restart: everything once more
        assert len(consumer.seeks) == 6

    asyncio.run(run())


def test_a_partition_taken_away_before_its_seek_is_rewound_when_it_comes_back():
    consumer = FakeConsumer({A})
    rewind = RewindOnNewLog("reporting", lambda: consumer)

    async def run() -> None:
        await rewind.cluster_seen("duo-1")
        consumer.listed = {A}  # listed as held, yet refused: a rebalance took it meanwhile
        consumer.held = set()
        await rewind.cluster_seen("duo-2")
        assert consumer.seeks == []
        consumer.held = {A}
        await rewind.on_partitions_assigned({A})
        assert consumer.seeks == [(A, 0)]

    asyncio.run(run())


def test_the_rewind_is_committed_and_repeated_at_the_next_assignment_when_the_commit_failed():
    consumer = FakeConsumer({A, B})
    rewind = RewindOnNewLog("reporting", lambda: consumer)

    async def run() -> None:
        await rewind.cluster_seen("duo-1")
        consumer.commit_fails = True  # the group is rebalancing: a stale commit from the old log would win
        await rewind.cluster_seen("duo-2")
        assert sorted(consumer.seeks) == [(A, 0), (B, 0)] and consumer.commits == []
        consumer.commit_fails = False
        await rewind.on_partitions_assigned({A, B})  # so the rewind is done again, and committed
        assert consumer.commits == [{A: 0, B: 0}]
        await rewind.on_partitions_assigned({A, B})
        assert len(consumer.seeks) == 4 and len(consumer.commits) == 1

    asyncio.run(run())


def test_a_new_log_seen_while_a_batch_is_handled_is_rewound_after_it_and_its_progress_forgotten():
    consumer, forgotten = FakeConsumer({A, B}), list[TopicPartition]()
    rewind = RewindOnNewLog("reporting", lambda: consumer, forgotten.extend)

    async def run() -> None:
        await rewind.cluster_seen("duo-1")
        with rewind.handling() as generation:
            await rewind.cluster_seen("duo-2")
            # Not under the batch: its failure would seek back to its own offsets and undo the rewind.
            assert consumer.seeks == [] and rewind.generation == generation + 1
        await rewind.after_batch()
        assert sorted(consumer.seeks) == [(A, 0), (B, 0)] and consumer.commits == [{A: 0, B: 0}]
        assert sorted(forgotten) == [A, B]
        await rewind.after_batch()  # nothing more waits
        assert len(consumer.seeks) == 2

    asyncio.run(run())
