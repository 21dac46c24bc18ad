"""Kafka client options shared by producers and consumers."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from shared.config import ServiceSettings


def new_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    """An at-least-once producer: all replicas acknowledge, no Kafka transactions (docs/adr/0002)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_batch_size=1 << 20,
        enable_idempotence=False,
    )


def consumer_options(settings: ServiceSettings) -> dict[str, int]:
    """Group timings: Tansu answers a join only after half the session timeout (ARCHITECTURE.md)."""
    return {
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
    }
