"""A FastStream subscriber that feeds CloudEvents from Kafka into a consumer (by event id, or in stream order)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.config import ServiceSettings
from shared.consuming.consumer import Consumer
from shared.events.envelope import EventEnvelope
from shared.events.wire import MalformedMessage, from_kafka, source_of
from shared.tenancy import OFFICES

log = structlog.get_logger("consumer")
REDELIVERY_PAUSE_S = 1.0


def subscribe(broker: KafkaBroker, settings: ServiceSettings, consumer: Consumer, producers: Mapping[str, str]) -> None:
    """Register a subscriber for the topics of `producers` (topic -> the one service that may write it);
    the offset is committed after the effect (or its parking)."""

    @broker.subscriber(
        *producers,
        # Prefixed like the topics, so runs sharing a broker never join each other's group.
        group_id=settings.topic_prefix + consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,  # a failed effect is redelivered, never skipped
        session_timeout_ms=settings.kafka_session_timeout_ms,  # Tansu answers a join after half of it
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )
    async def on_event(message: KafkaMessage) -> None:
        record: ConsumerRecord = message.raw_message  # one record: not a batch subscriber
        try:
            envelope = from_kafka(record.value, record.headers)
        except MalformedMessage as err:
            # Not ours to interpret; blocking the partition would stop every later fact.
            log.error(
                "skipping malformed message",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                error=type(err.__cause__ or err).__name__,
            )
            return
        if refusal := unauthorised_origin(record, envelope, producers):
            # Written by someone other than the topic's producer, or about no office of its branch:
            # never counted, parked with the reason so an operator sees the attempt.
            await consumer.park(envelope, refusal)
            return
        with structlog.contextvars.bound_contextvars(
            event_id=str(envelope.event_id), correlation_id=str(envelope.correlation_id)
        ):
            try:
                applied = await consumer.handle(envelope)
            except Exception as err:
                # Redelivered (NACK), after a pause so a failing database is not hammered.
                # Only the error's type is logged: its text can quote data.
                log.error(
                    "effect failed, will be redelivered", event_type=envelope.event_type, error=type(err).__name__
                )
                await asyncio.sleep(REDELIVERY_PAUSE_S)
                raise
            if applied:
                log.info("event applied", event_type=envelope.event_type)


def unauthorised_origin(record: ConsumerRecord, envelope: EventEnvelope, producers: Mapping[str, str]) -> str | None:
    """Why an event must not be applied though it is well formed: its CloudEvents source is not the declared
    producer of the topic it came from, or its office is unknown or not of its branch. None when it may."""
    source = dict(record.headers or ()).get("ce_source", b"").decode(errors="replace")
    producer = producers.get(record.topic)
    if producer is None or source != source_of(producer):
        return f"forged_source: {source!r} is not the producer of {record.topic}"
    if envelope.office not in OFFICES or OFFICES[envelope.office][0] != envelope.tenant:
        return f"unknown_office: {envelope.office!r} is not an office of branch {envelope.tenant}"
    return None
