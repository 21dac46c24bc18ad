"""Consumer lag as the broker sees it: per consumer group and partition, the end offset (the next offset the broker
will assign) minus the group's committed offset, for `/metrics` (duo_consumer_group_lag_messages).

Unlike each consumer's own lag hint (shared/consuming/progress.py), this does not depend on which replica holds
a partition or whether it fetched lately: every replica reports the same figures, for every partition of the
group's topics, even while no consumer runs. A partition the group never committed counts from the earliest
offset the broker keeps. A few requests per look (the topics' partitions, the group's offsets from its
coordinator, the partitions' end and earliest offsets through a consumer without a group), all within one
timeout; the clients are kept between looks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka import KafkaSecurity, aiokafka_options

LOOK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class GroupLag:
    """One partition of one consumer group's topics, as the broker reports it."""

    group: str
    topic: str
    partition: int
    committed: int | None  # the next offset the group will read; None: it never committed one
    earliest: int  # the first offset the broker keeps
    end: int  # the next offset the broker will assign

    @property
    def lag(self) -> int:
        """Messages the group has still to read."""
        return max(self.end - (self.earliest if self.committed is None else self.committed), 0)


class GroupLagReader:
    """Reads the lag of consumer groups, each with the topics it reads (`groups`: group id -> topics)."""

    def __init__(
        self,
        bootstrap_servers: str,
        groups: Mapping[str, Sequence[str]],
        security: KafkaSecurity | None = None,
        timeout_s: float = LOOK_TIMEOUT_S,
    ) -> None:
        self._bootstrap_servers, self.security, self._timeout_s = bootstrap_servers, security, timeout_s
        self.groups = {group: tuple(topics) for group, topics in groups.items()}
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> tuple[GroupLag, ...]:
        """Every partition of every group's topics; raises when the broker does not answer within the timeout."""
        try:
            return await asyncio.wait_for(self._read(), self._timeout_s)
        except BaseException:
            await self.close()  # rebuilt on the next look
            raise

    async def _read(self) -> tuple[GroupLag, ...]:
        async with self._lock:
            admin, offsets = await self._clients()
            described = await admin.describe_topics(sorted({t for topics in self.groups.values() for t in topics}))
            partitions_of = {
                t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described if t["error_code"] == 0
            }
            found: list[GroupLag] = []
            for group, topics in self.groups.items():
                partitions = [TopicPartition(topic, p) for topic in topics for p in partitions_of.get(topic, ())]
                if not partitions:
                    continue
                committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
                ends = await offsets.end_offsets(partitions)
                earliest = await offsets.beginning_offsets(partitions)
                for tp in partitions:
                    at = committed.get(tp)
                    # Never committed (-1 or absent): the group reads from the earliest offset kept.
                    offset = at.offset if at is not None and at.offset >= 0 else None
                    found.append(GroupLag(group, tp.topic, tp.partition, offset, earliest[tp], ends[tp]))
            return tuple(found)

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._offsets is None:
            options = aiokafka_options(self.security)
            timeout_ms = int(self._timeout_s * 1000)
            self._admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap_servers, request_timeout_ms=timeout_ms, **options
            )
            await self._admin.start()
            self._offsets = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap_servers, group_id=None, enable_auto_commit=False, **options
            )
            await self._offsets.start()
        return self._admin, self._offsets

    async def close(self) -> None:
        admin, offsets, self._admin, self._offsets = self._admin, self._offsets, None, None
        for client in (admin, offsets):
            if client is not None:
                with contextlib.suppress(Exception):  # a broker gone or slow never holds a shutdown up
                    closing = client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop()
                    await asyncio.wait_for(closing, self._timeout_s)
