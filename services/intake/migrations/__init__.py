"""Intake's database, version by version (shared/migrations.py): the library's components it uses,
then its own tables (registrations' personal-data vault and people list), in the numbered files of this folder."""

from shared.migrations import EVENT_STORE, IDEMPOTENCY_KEYS, MigrationSet

MIGRATIONS: tuple[MigrationSet, ...] = (EVENT_STORE, IDEMPOTENCY_KEYS, MigrationSet("intake", __name__))
