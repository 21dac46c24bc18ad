"""Publishing the event store to Kafka at least once, in stream order."""
