"""Versioned schema migrations: numbered SQL files, each applied once, in order, in its own transaction.

A service's database is made of components, each with its own numbered files in a `migrations` package:
the event store (shared/eventstore/migrations), the idempotency keys (shared/commanding/migrations), the
OrderedConsumer's tables (shared/consuming/migrations) and the service's own (services/<name>/migrations).
Each service lists the components its database holds (services/<name>/migrations/__init__.py). A library
component changes once, in one file, for every service that uses it.

`schema_migrations (component, version, name, checksum, applied_at)` records what was applied. A file is
named `NNNN_what_it_does.sql`; versions start at 1 and have no gaps; a file once applied is never edited
(its checksum is checked): a change is a new file. Everything runs under one session advisory lock, so
replicas starting together (and an operator's `python -m services.<service>.migrations`) take turns.

The services apply their migrations at start-up (ServiceRuntime, docs/adr/0017); an operator may run them before a
rollout with `python -m services.<name>.migrations`, `<NAME>_DATABASE_URL` set.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import structlog

from shared.runtime_privileges import grant_runtime_privileges

# The key start-up DDL has always been applied under (shared/eventstore/postgres.py): an older process
# applying its DDL and a newer one migrating never overlap.
LOCK_KEY = 7_246_001
FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")
TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  TEXT        NOT NULL,
    version    INTEGER     NOT NULL CHECK (version >= 1),
    name       TEXT        NOT NULL,
    checksum   TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""

log = structlog.get_logger("migrations")


class MigrationError(RuntimeError):
    """The files or the database's record of them are not what the runner can apply safely."""


@dataclass(frozen=True)
class Migration:
    """One numbered file of one component."""

    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationSet:
    """A component's migrations: the `NNNN_name.sql` files of a package (or, for tests, a folder)."""

    component: str
    source: str | Path  # a package name such as "shared.eventstore.migrations", or a folder

    def _folder(self) -> Traversable | Path:
        return self.source if isinstance(self.source, Path) else resources.files(self.source)

    def migrations(self) -> list[Migration]:
        """The files in version order; a name that does not fit, a repeated version or a gap is an error."""
        found: list[Migration] = []
        for entry in self._folder().iterdir():
            if not entry.name.endswith(".sql"):
                continue
            match = FILE_NAME.fullmatch(entry.name)
            if not match:
                raise MigrationError(f"{self.component}: {entry.name} is not named NNNN_lower_case_name.sql")
            found.append(Migration(self.component, int(match["version"]), match["name"], entry.read_text()))
        found.sort(key=lambda m: m.version)
        versions = [m.version for m in found]
        if versions != list(range(1, len(found) + 1)):
            raise MigrationError(f"{self.component}: versions must run 1, 2, 3... without gaps, found {versions}")
        return found


EVENT_STORE = MigrationSet("eventstore", "shared.eventstore.migrations")
IDEMPOTENCY_KEYS = MigrationSet("idempotency", "shared.commanding.migrations")
ORDERED_CONSUMER = MigrationSet("ordered_consumer", "shared.consuming.migrations")


async def applied_versions(con: asyncpg.Connection) -> dict[str, int]:
    """Each component's highest applied version ({} before any migration ran)."""
    if await con.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return {}
    rows = await con.fetch("SELECT component, max(version) AS version FROM schema_migrations GROUP BY component")
    return {row["component"]: row["version"] for row in rows}


async def migrate(
    target: asyncpg.Pool | asyncpg.Connection, sets: Sequence[MigrationSet], upto: dict[str, int] | None = None
) -> list[Migration]:
    """Apply every migration of `sets` not yet applied, in order (components in the order given); return them.

    `upto` stops a component at a version (tests; a staged roll-out). A component listed twice is applied once.
    """
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as con:
            return await migrate(con, sets, upto)
    con = target
    unique = list({s.component: s for s in sets}.values())
    plans = {s.component: s.migrations() for s in unique}  # read every file before touching the database
    try:
        # Inside the `try`: a lock granted just as the wait was cancelled is released too.
        await con.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        # Created only when missing: a service's runtime role may not create tables (shared/runtime_privileges.py),
        # and PostgreSQL checks that before it finds the table of CREATE TABLE IF NOT EXISTS.
        if await con.fetchval("SELECT to_regclass('schema_migrations')") is None:
            await con.execute(TABLE)
        recorded = {
            (row["component"], row["version"]): row["checksum"]
            for row in await con.fetch("SELECT component, version, checksum FROM schema_migrations")
        }
        applied: list[Migration] = []
        for component, migrations in plans.items():
            known = {m.version for m in migrations}
            newer = sorted(v for c, v in recorded if c == component and v not in known)
            if newer:
                # An older release running against a newer schema (a roll-back): migrations only add, so go on.
                log.warning("database_newer_than_code", component=component, versions=newer)
            for migration in migrations:
                if upto is not None and migration.version > upto.get(component, migration.version):
                    break
                checksum = recorded.get((component, migration.version))
                if checksum is not None:
                    if checksum != migration.checksum:
                        raise MigrationError(
                            f"{component} {migration.version:04d}_{migration.name} was changed after it was applied: "
                            "write a new migration instead"
                        )
                    continue
                async with con.transaction():
                    await con.execute(migration.sql)
                    await con.execute(
                        "INSERT INTO schema_migrations (component, version, name, checksum) VALUES ($1, $2, $3, $4)",
                        component,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                log.info("migration_applied", component=component, version=migration.version, name=migration.name)
                applied.append(migration)
        return applied
    finally:
        await _unlock(con)


async def _unlock(con: asyncpg.Connection) -> None:
    """Release the migrations' session lock; a connection that cannot is closed, which releases it (a pooled
    connection goes back without a reset statement, docs/adr/0015, so it must not keep the lock)."""
    try:
        await con.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    except BaseException:
        con.terminate()
        raise


def main(service: str, sets: Sequence[MigrationSet]) -> int:
    """An operator's entry point: migrate `<SERVICE>_OWNER_DATABASE_URL` (the owner role's; else
    `<SERVICE>_DATABASE_URL`) and print what was applied."""
    variable = f"{service.upper()}_DATABASE_URL"
    url = os.environ.get(f"{service.upper()}_OWNER_DATABASE_URL") or os.environ.get(variable)
    if not url:
        print(f"{service} migrations: set {variable}", file=sys.stderr)
        return 2

    # Given both URLs, the runtime role (the service's own URL's user) is granted its privileges afterwards.
    runtime_url = os.environ.get(variable)
    runtime_role = urlsplit(runtime_url).username if runtime_url and runtime_url != url else None

    async def run() -> list[Migration]:
        con = await asyncpg.connect(url)
        try:
            applied = await migrate(con, sets)
            if runtime_role:
                await grant_runtime_privileges(con, runtime_role)
            return applied
        finally:
            await con.close()

    applied = asyncio.run(run())
    for migration in applied:
        print(f"{service}: applied {migration.component} {migration.version:04d}_{migration.name}")
    print(f"{service}: schema up to date ({len(applied)} migrations applied)")
    return 0
