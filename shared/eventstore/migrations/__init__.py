"""The event store's migrations (shared/migrations.py): events, outbox, consumer bookkeeping."""
