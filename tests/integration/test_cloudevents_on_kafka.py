"""A published event, read back by an independent client (confluent-kafka / librdkafka)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import datetime

import pytest
from confluent_kafka import Consumer

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM
from shared.eventstore.postgres import PostgresEventStore
from shared.outbox.relay import OutboxRelay
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration


def read_one_with_librdkafka(bootstrap: str, topic: str, deadline_s: float = 30):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"confluent-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                return message
        raise AssertionError(f"no message on {topic} within {deadline_s} s")
    finally:
        consumer.close()


async def test_every_cloudevents_header_is_readable_by_another_client(pool, database_url, topic, infra):
    cause = uuid.uuid4()
    meta = EventMetadata(tenant=Tenant.NL, office="nl-rotterdam", actor="coordinator:ana", causation_id=cause)
    event = MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="J", languages=("nl", "en"))
    stream_id = f"mentee-{event.mentee_id}"
    relay_task = None
    try:
        [recorded] = await PostgresEventStore(pool).append(stream_id, NO_STREAM, [NewEvent(event, meta)])
        relay = OutboxRelay(database_url, infra.kafka_bootstrap, topic, "intake")
        relay_task = asyncio.create_task(relay.run())
        message = await asyncio.to_thread(read_one_with_librdkafka, infra.kafka_bootstrap, topic)
    finally:
        if relay_task:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task

    headers = {key: value.decode() for key, value in message.headers()}
    assert message.key().decode() == stream_id
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == str(recorded.event_id)
    assert headers["ce_type"] == "MenteeRegistered"
    assert headers["ce_source"] == "/duo/intake"
    assert headers["ce_subject"] == stream_id
    assert datetime.fromisoformat(headers["ce_time"]) == meta.occurred_at
    assert headers["content-type"] == "application/json"
    assert headers["ce_schemaversion"] == "1"
    assert headers["ce_streamversion"] == "1"
    assert headers["ce_tenant"] == "NL"
    assert headers["ce_office"] == "nl-rotterdam"
    assert datetime.fromisoformat(headers["ce_recordedtime"]) == recorded.recorded_at
    assert headers["ce_actor"] == "coordinator:ana"
    assert headers["ce_correlationid"] == str(meta.correlation_id)
    assert headers["ce_causationid"] == str(cause)
    assert json.loads(message.value()) == event.model_dump(mode="json")
