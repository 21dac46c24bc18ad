"""A broker that came back empty answers before its topics are created again: the relay sends nothing to it until
its topic is there. The embedded broker takes a record that a producer sends to a topic it does not have yet (to
a partition the producer remembers from the old log) and never serves it once the topic is created: sent then,
the store's events would be lost to every reader of the new log."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtool.processes import free_port, wait_for_port
from devtool.tansu_broker import start_tansu, stop_tansu
from shared.eventstore.base import NO_STREAM
from shared.eventstore.postgres import PostgresEventStore
from shared.outbox.relay import OutboxRelay, TopicMissing
from shared.topics import TopicSpec, ensure_topics
from tests.integration.test_outbox_relay import new_events
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def own_broker(home: Path) -> Iterator[int]:
    """A broker of this test's own, on a port kept across its restarts."""
    port = free_port()
    start_tansu(home, port)
    wait_for_port(port, 15, "the test's broker")
    try:
        yield port
    finally:
        stop_tansu(home)


async def test_the_relay_sends_nothing_to_a_new_broker_before_its_topic_exists(pool, database_url, tmp_path):
    store = PostgresEventStore(pool)
    topic = f"relay-{uuid.uuid4().hex[:8]}"
    declared = [TopicSpec(topic, "intake", 3, 1, {"retention.ms": "-1"})]
    with own_broker(tmp_path) as port:
        bootstrap = f"127.0.0.1:{port}"
        await ensure_topics(bootstrap, declared)
        relay = OutboxRelay(database_url, bootstrap, topic, "intake", delivery_timeout_s=2.0)
        async with relay.connected() as con:  # one leadership: its producer knows the topic's partitions
            [first] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
            assert await relay.publish_pending(con) == 1
            stop_tansu(tmp_path)  # the broker comes back empty, on the same port, without its topic yet
            start_tansu(tmp_path, port)
            await asyncio.to_thread(wait_for_port, port, 15, "the test's restarted broker")
            [second] = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, new_events(1))
            with pytest.raises(TopicMissing):
                await relay.publish_pending(con)
            assert await pool.fetchval("SELECT count(*) FROM outbox") == 1  # nothing was taken for sent
            await ensure_topics(bootstrap, declared)
            assert await relay.publish_pending(con) == 2  # the new log gets the whole store
        records = await read_topic(bootstrap, topic, 2)
    assert {dict(r.headers)["ce_id"] for r in records} == {str(first.event_id).encode(), str(second.event_id).encode()}
