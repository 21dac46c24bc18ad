"""Reporting's database, version by version (shared/migrations.py): the library's components it uses,
then its own tables (projection's ledger), in the numbered files of this folder."""

from shared.migrations import EVENT_STORE, ORDERED_CONSUMER, MigrationSet

MIGRATIONS: tuple[MigrationSet, ...] = (EVENT_STORE, ORDERED_CONSUMER, MigrationSet("reporting", __name__))
