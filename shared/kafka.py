"""The producer every relay uses: at least once, no Kafka transactions."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer


def new_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    """An at-least-once producer: all replicas acknowledge, no Kafka transactions (docs/adr/0002)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_batch_size=1 << 20,
        enable_idempotence=False,
    )
