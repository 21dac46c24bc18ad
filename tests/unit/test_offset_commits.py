"""A consumer's Kafka offsets are committed at most once an interval, only for batches handled to their end, and
never for a log that was replaced meanwhile (shared/consuming/commits.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import TopicPartition

from shared.consuming.commits import OffsetCommits
from shared.consuming.rewind import RewindOnNewLog
from tests.conftest import eventually

TOPIC = "duo.intake.events"
A, B = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


class FakeConsumer:
    """Records each commit's offsets; refuses them while `fails` is set."""

    def __init__(self, held: set[TopicPartition]) -> None:
        self.held = held
        self.commits: list[dict[TopicPartition, int]] = []
        self.fails = False
        self.refused = 0

    def assignment(self) -> set[TopicPartition]:
        return set(self.held)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fails:
            self.refused += 1
            raise ConnectionError("the broker is away")
        self.commits.append(dict(offsets))


def batch(partition: int, first: int, size: int) -> list[Record]:
    return [Record(TOPIC, partition, offset) for offset in range(first, first + size)]


class Log:
    generation = 0


async def loop_runs() -> None:
    """What runs between two batches (their handling awaits the database): the loop's timers and tasks."""
    for _ in range(10):
        await asyncio.sleep(0)


async def fifty_batches(interval_s: float) -> FakeConsumer:
    """Fifty batches of ten handled one after the other, over two partitions; the consumer that read them."""
    consumer, log = FakeConsumer({A, B}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=interval_s)
    for n in range(50):
        commits.handled(consumer, batch(n % 2, 10 * (n // 2), 10), 0)
        await loop_runs()
    return consumer


async def test_fifty_batches_within_the_interval_make_one_commit_not_fifty() -> None:
    consumer = await fifty_batches(interval_s=3600)
    assert consumer.commits == [{A: 10}]  # the first batch's at once; the others wait for the interval's end


async def test_what_was_kept_is_committed_once_the_interval_passes_without_another_batch() -> None:
    consumer = await fifty_batches(interval_s=0.2)

    async def all_committed() -> bool:
        return bool(consumer.commits) and consumer.commits[-1] == {A: 250, B: 250}

    await eventually(all_committed, 10, "the last batch's offsets committed")


async def test_a_batch_begun_under_a_replaced_log_is_never_committed() -> None:
    consumer, log = FakeConsumer({A}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=0.05)
    log.generation = 1  # the broker's log started again while the batch was handled
    commits.handled(consumer, batch(0, 0, 5), 0)
    commits.handled(consumer, batch(0, 0, 2), 1)  # the new log's first batch

    async def committed() -> bool:
        return bool(consumer.commits)

    await eventually(committed, 10, "the new log's batch committed")
    assert consumer.commits == [{A: 2}]


async def test_offsets_kept_before_a_rewind_are_dropped_not_committed_over_it() -> None:
    consumer, log = FakeConsumer({A}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=0.3)
    commits.handled(consumer, batch(0, 0, 1), 0)  # committed at once: the first
    await loop_runs()
    commits.handled(consumer, batch(0, 1, 99), 0)  # kept for the interval's end
    log.generation = 1  # meanwhile the log started again, and the rewind committed offset 0 itself
    commits.handled(consumer, batch(0, 0, 3), 1)

    async def rewound_batch_committed() -> bool:
        return len(consumer.commits) == 2

    await eventually(rewound_batch_committed, 10, "the new log's batch committed")
    assert consumer.commits == [{A: 1}, {A: 3}]  # never {A: 100}, the old log's


async def test_a_partition_taken_away_is_left_to_its_new_holder() -> None:
    consumer, log = FakeConsumer({A, B}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=0.05)
    commits.handled(consumer, batch(0, 0, 1), 0)
    await loop_runs()
    commits.handled(consumer, batch(0, 1, 4) + batch(1, 0, 7), 0)
    consumer.held = {A}  # a rebalance took B away before the commit

    async def second_commit() -> bool:
        return len(consumer.commits) == 2

    await eventually(second_commit, 10, "the kept offsets committed")
    assert consumer.commits == [{A: 1}, {A: 5}]


async def test_a_failed_commit_is_carried_by_the_next() -> None:
    consumer, log = FakeConsumer({A}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=0.05)
    consumer.fails = True
    commits.handled(consumer, batch(0, 0, 4), 0)

    async def refused() -> bool:
        return consumer.refused == 1

    await eventually(refused, 10, "the first commit refused")
    consumer.fails = False
    commits.handled(consumer, batch(0, 4, 2), 0)

    async def carried() -> bool:
        return consumer.commits == [{A: 6}]

    await eventually(carried, 10, "the failed commit's offsets carried by the next")


class HeldCommit(FakeConsumer):
    """A consumer whose commits wait until `answer` is set (a broker slow to answer, or retrying)."""

    def __init__(self, held: set[TopicPartition]) -> None:
        super().__init__(held)
        self.answer = asyncio.Event()
        self.asked: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.asked.append(dict(offsets))
        await self.answer.wait()
        await super().commit(offsets)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """The rewind's seek (rewind.py)."""


async def test_a_rewind_commits_its_zero_only_after_the_old_logs_commit_in_flight() -> None:
    consumer = HeldCommit({A})
    rewind = RewindOnNewLog("test", lambda: consumer, settle=lambda: commits.settle())
    commits = OffsetCommits("test", lambda: rewind.generation, interval_s=3600)
    await rewind.cluster_seen("log-1")
    commits.handled(consumer, batch(0, 0, 40), 0)
    await loop_runs()
    assert consumer.asked == [{A: 40}]  # sent, not answered yet
    commits.handled(consumer, batch(0, 40, 10), 0)  # kept for later: the old log's too

    rewinding = asyncio.create_task(rewind.cluster_seen("log-2"))  # the broker came back with an empty log
    await loop_runs()
    assert not rewinding.done() and consumer.asked == [{A: 40}]  # the rewind waits for the old log's commit
    consumer.answer.set()
    await rewinding
    # The old log's offset first, the rewind's 0 last: a restarted consumer starts at the new log's beginning.
    assert consumer.commits == [{A: 40}, {A: 0}]
    await commits.close()
    assert consumer.commits == [{A: 40}, {A: 0}]  # the old log's kept offset (50) was dropped, never committed


async def test_a_consumer_that_stops_commits_what_it_kept_and_nothing_after() -> None:
    consumer, log = FakeConsumer({A}), Log()
    commits = OffsetCommits("test", lambda: log.generation, interval_s=3600)
    commits.handled(consumer, batch(0, 0, 1), 0)
    await loop_runs()
    commits.handled(consumer, batch(0, 1, 9), 0)  # kept until the interval's end, an hour away
    await commits.close()
    assert consumer.commits == [{A: 1}, {A: 10}]
    commits.handled(consumer, batch(0, 10, 5), 0)
    await loop_runs()
    assert consumer.commits == [{A: 1}, {A: 10}]
