"""The OrderedConsumer's tables' migrations (shared/migrations.py)."""
