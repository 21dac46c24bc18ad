"""The consumer groups' lag as the broker reports it (shared/consuming/group_lag.py): end offsets against the
group's committed offsets, per partition, on the real broker."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from shared.consuming.group_lag import GroupLagReader
from shared.kafka import new_producer
from tests.conftest import unique

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for n in range(count):
                await producer.send_and_wait(topic, value=f"{n}".encode(), partition=partition)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()})
    finally:
        await consumer.stop()


async def test_the_lag_is_the_end_offset_minus_the_committed_one_per_partition(infra, topic: str) -> None:
    await _produce(infra.kafka_bootstrap, topic, {0: 5, 1: 3, 2: 0})
    group = unique("group")
    reader = GroupLagReader(infra.kafka_bootstrap, {group: (topic,)})
    try:
        never_committed = {(p.partition): (p.committed, p.end, p.lag) for p in await reader.read()}
        assert never_committed == {0: (None, 5, 5), 1: (None, 3, 3), 2: (None, 0, 0)}

        await _commit(infra.kafka_bootstrap, group, {TopicPartition(topic, 0): 2, TopicPartition(topic, 1): 3})
        read = await reader.read()
        assert {p.group for p in read} == {group} and {p.topic for p in read} == {topic}
        assert {p.partition: (p.committed, p.end, p.lag) for p in read} == {
            0: (2, 5, 3),
            1: (3, 3, 0),
            2: (None, 0, 0),
        }
    finally:
        await reader.close()
