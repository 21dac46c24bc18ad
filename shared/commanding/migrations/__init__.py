"""The idempotency_keys table's migrations (shared/migrations.py), for every service that takes commands."""
