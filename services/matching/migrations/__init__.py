"""Matching's database, version by version (shared/migrations.py): the library's components it uses,
then its own tables (candidate pool, declined pairs and proposals), in the numbered files of this folder."""

from shared.migrations import EVENT_STORE, IDEMPOTENCY_KEYS, ORDERED_CONSUMER, MigrationSet

MIGRATIONS: tuple[MigrationSet, ...] = (
    EVENT_STORE,
    IDEMPOTENCY_KEYS,
    ORDERED_CONSUMER,
    MigrationSet("matching", __name__),
)
