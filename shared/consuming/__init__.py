"""Idempotent Kafka consumers: the effect and its dedupe record in one transaction."""
