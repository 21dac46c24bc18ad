"""The development tool: the `duo` command, the embedded PostgreSQL and Kafka-wire broker, the demo.

The top layer: it wires the services (services/), which use the library (shared/); neither imports it.
"""
