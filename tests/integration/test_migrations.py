"""Versioned migrations (shared/migrations.py): every service's database from empty, from the schema that
start-up made before migrations existed, and from one version to the next."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from services.intake.adapters.people import intake_tables_ddl
from services.intake.migrations import MIGRATIONS as INTAKE
from services.matching.migrations import MIGRATIONS as MATCHING
from services.reporting import migrations as reporting_migrations
from services.reporting.migrations import MIGRATIONS as REPORTING
from services.tracking.migrations import MIGRATIONS as TRACKING
from shared.commanding.idempotency import idempotency_ddl
from shared.events.envelope import EventEnvelope
from shared.migrations import EVENT_STORE, LOCK_KEY, MigrationError, MigrationSet, applied_versions, migrate
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration

SERVICES = {"intake": INTAKE, "matching": MATCHING, "tracking": TRACKING, "reporting": REPORTING}
ROOT = Path(__file__).resolve().parents[2]


async def _tables(con: asyncpg.Connection) -> dict[str, list[tuple[str, str, str]]]:
    rows = await con.fetch(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"], row["is_nullable"]))
    return tables


async def _indexes(con: asyncpg.Connection) -> set[str]:
    rows = await con.fetch("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'")
    return {row["indexdef"] for row in rows if "schema_migrations" not in row["indexdef"]}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_an_empty_database_gets_every_migration_once(database_url: str, service: str) -> None:
    con = await asyncpg.connect(database_url)
    try:
        applied = await migrate(con, SERVICES[service])
        expected = [(m.component, m.version) for s in SERVICES[service] for m in s.migrations()]
        assert [(m.component, m.version) for m in applied] == expected
        assert await applied_versions(con) == {s.component: len(s.migrations()) for s in SERVICES[service]}
        assert {"events", "outbox"} <= set(await _tables(con))
        assert await migrate(con, SERVICES[service]) == []  # again: nothing to do
        rows = await con.fetch("SELECT component, version, name, applied_at FROM schema_migrations")
        assert len(rows) == len(expected) and all(row["applied_at"] is not None for row in rows)
    finally:
        await con.close()


async def test_a_database_made_by_the_start_up_ddl_takes_version_one_and_keeps_its_rows(database_url: str) -> None:
    """The previous version of every database: tables made by the idempotent start-up DDL, no schema_migrations."""
    con = await asyncpg.connect(database_url)
    try:
        store_v1 = EVENT_STORE.migrations()[0].sql
        for ddl in (store_v1, idempotency_ddl(), intake_tables_ddl()):
            await con.execute(ddl)
        await con.execute(
            "INSERT INTO idempotency_keys (tenant, idempotency_key, fingerprint, status, body) "
            "VALUES ('BE', 'k1', 'f', 201, '{}'::jsonb)"
        )
        before = await _tables(con)
        # Version 1 of each: the store's version 2 adds a table, intake's changes the vault (sealing).
        applied = await migrate(con, INTAKE, upto={"intake": 1, "eventstore": 1})
        assert {m.component for m in applied} == {"eventstore", "idempotency", "intake"}
        assert await _tables(con) == before
        assert await con.fetchval("SELECT count(*) FROM idempotency_keys") == 1
    finally:
        await con.close()


def _component(folder: Path, files: dict[str, str]) -> MigrationSet:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return MigrationSet("example", folder)


async def test_a_database_at_the_previous_version_gets_only_the_next(database_url: str, tmp_path: Path) -> None:
    example = _component(
        tmp_path,
        {
            "0001_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
            "0002_notes_author.sql": "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown';",
        },
    )
    con = await asyncpg.connect(database_url)
    try:
        first = await migrate(con, [EVENT_STORE, example], upto={"example": 1})
        store = [("eventstore", m.version) for m in EVENT_STORE.migrations()]
        assert [(m.component, m.version) for m in first] == [*store, ("example", 1)]
        await con.execute("INSERT INTO notes (id, body) VALUES (1, 'kept')")
        # Version 2 is not idempotent (ADD COLUMN): it must run exactly once.
        second = await migrate(con, [EVENT_STORE, example])
        assert [(m.component, m.version, m.name) for m in second] == [("example", 2, "notes_author")]
        assert await con.fetchval("SELECT author FROM notes WHERE id = 1") == "unknown"
        assert await migrate(con, [EVENT_STORE, example]) == []
        assert (await applied_versions(con))["example"] == 2
    finally:
        await con.close()


async def test_a_failing_migration_leaves_the_previous_version_in_place(database_url: str, tmp_path: Path) -> None:
    example = _component(
        tmp_path,
        {"0001_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY);", "0002_bad.sql": "CREATE TABLE notes ();"},
    )
    con = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.DuplicateTableError):
            await migrate(con, [example])
        assert await applied_versions(con) == {"example": 1}
        # The lock was given back: another migration can run.
        held = await con.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            LOCK_KEY,
        )
        assert held == 0
    finally:
        await con.close()


async def test_an_applied_migration_may_not_be_edited_and_versions_have_no_gaps(
    database_url: str, tmp_path: Path
) -> None:
    example = _component(tmp_path / "a", {"0001_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY);"})
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, [example])
        (tmp_path / "a" / "0001_notes.sql").write_text("CREATE TABLE notes (id BIGINT PRIMARY KEY);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(con, [example])
    finally:
        await con.close()
    gap = _component(tmp_path / "b", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="without gaps"):
        gap.migrations()
    badly_named = _component(tmp_path / "c", {"1_a.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="NNNN_"):
        badly_named.migrations()


async def test_replicas_starting_together_apply_each_migration_once(database_url: str) -> None:
    connections = [await asyncpg.connect(database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(con, MATCHING) for con in connections))
        assert sorted(len(applied) for applied in results)[:-1] == [0, 0, 0]
        assert await connections[0].fetchval("SELECT count(*) FROM schema_migrations") == sum(
            len(s.migrations()) for s in MATCHING
        )
    finally:
        for con in connections:
            await con.close()


async def test_the_job_entry_point_migrates_the_service_database(database_url: str) -> None:
    env = {**os.environ, "REPORTING_DATABASE_URL": database_url}
    first = subprocess.run(
        [sys.executable, "-m", "services.reporting.migrations"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "applied reporting 0001_ledger" in first.stdout
    again = subprocess.run(
        [sys.executable, "-m", "services.reporting.migrations"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and "(0 migrations applied)" in again.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "services.reporting.migrations"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "REPORTING_DATABASE_URL"},
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "REPORTING_DATABASE_URL" in missing.stderr


async def test_reporting_upgraded_to_ordered_consumption_gets_the_positions_its_ledger_implies(
    database_url: str,
) -> None:
    con = await asyncpg.connect(database_url)
    try:
        # Reporting as the idempotent consumer left it: the event store and the ledger, no positions.
        await migrate(con, [EVENT_STORE, REPORTING[-1]], upto={"reporting": 1})
        facts = [("mentee-a", 1), ("mentee-a", 2), ("mentee-a", 3), ("duo-b", 1), ("duo-b", 3), ("duo-c", 2)]
        for stream, version in facts:
            await con.execute(
                "INSERT INTO ledger (event_id, stream_id, stream_version, event_type, schema_version, tenant, office, "
                "occurred_at, recorded_at, actor, correlation_id, data) VALUES (gen_random_uuid(), $1, $2, 'X', 1, "
                "'BE', 'be-gent', now(), now(), 'a', gen_random_uuid(), '{}')",
                stream,
                version,
            )
        applied = await migrate(con, REPORTING)
        # The positions' migration, then every one of reporting's numbered files from version 2, in order.
        latest = len(list(Path(reporting_migrations.__file__).parent.glob("*.sql")))
        wanted = [("ordered_consumer", 1)] + [("reporting", version) for version in range(2, latest + 1)]
        assert [(m.component, m.version) for m in applied] == wanted
        rows = await con.fetch("SELECT consumer, stream_id, version FROM stream_positions ORDER BY stream_id")
        # The unbroken run from 1: duo-b's version 3 waits for its 2; duo-c has no version 1 in the ledger.
        assert [tuple(r) for r in rows] == [("reporting", "duo-b", 1), ("reporting", "mentee-a", 3)]
        # What lies above the run is held, as if it had arrived before its predecessor, with a valid envelope.
        held = await con.fetch("SELECT stream_id, stream_version, envelope FROM held_events ORDER BY stream_id")
        assert [(r["stream_id"], r["stream_version"]) for r in held] == [("duo-b", 3), ("duo-c", 2)]
        envelope = EventEnvelope.model_validate(json.loads(held[0]["envelope"]))
        assert (envelope.stream_id, envelope.stream_version, envelope.tenant) == ("duo-b", 3, Tenant.BE)
    finally:
        await con.close()


async def test_matching_upgraded_to_tracking_taken_alone_parks_a_held_end_and_drops_tracking_s_other_held_events(
    database_url: str,
) -> None:
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, MATCHING, upto={"matching": 1})
        held = [("duo-a", 3, "MeetingLogged"), ("duo-a", 5, "DuoEnded"), ("mentee-b", 4, "MenteeReadyForMatching")]
        for stream, version, event_type in held:
            envelope = {"event_id": f"00000000-0000-0000-0000-00000000000{version}", "event_type": event_type}
            await con.execute(
                "INSERT INTO held_events (consumer, stream_id, stream_version, envelope) "
                "VALUES ('matching', $1, $2, $3)",
                stream,
                version,
                json.dumps(envelope),
            )
        await con.execute(  # another consumer's held events are not matching's to move
            "INSERT INTO held_events (consumer, stream_id, stream_version, envelope) "
            "VALUES ('other', 'duo-a', 3, '{\"event_type\": \"MeetingLogged\"}')"
        )
        assert [(m.component, m.version) for m in await migrate(con, MATCHING)] == [("matching", 2)]
        left = await con.fetch("SELECT consumer, stream_id, stream_version FROM held_events ORDER BY consumer")
        assert [tuple(r) for r in left] == [("matching", "mentee-b", 4), ("other", "duo-a", 3)]
        parked = await con.fetch("SELECT consumer, event_id::text, event_type, reason FROM parked_events")
        assert [tuple(r) for r in parked] == [
            ("matching", "00000000-0000-0000-0000-000000000005", "DuoEnded", "held_before_adr_0036")
        ]
    finally:
        await con.close()
