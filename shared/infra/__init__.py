"""The embedded infrastructure (PostgreSQL and a Kafka-wire broker) and the `duo` command."""
