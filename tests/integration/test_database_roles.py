"""Least privilege in the data layer: each service's role reaches its own database and nothing else.

The roles are made by the very function `duo infra up` runs (devtool.database_roles), on
databases and roles of the test's own, so a real stack's duo_* databases are never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from devtool.database_roles import ServiceLogin, ensure_service_roles
from devtool.embedded_postgres_server import SERVICES, ensure_role_passwords
from services.intake.adapters.sealing import seal_rows_in_clear
from services.intake.migrations import MIGRATIONS as INTAKE_MIGRATIONS
from shared.config import load_service_settings
from shared.eventstore.postgres import create_pool
from shared.migrations import applied_versions
from shared.runtime import migrate_as_owner
from shared.runtime_privileges import grant_runtime_privileges
from shared.shredding import MasterKey, MasterKeyRing
from tests.conftest import unique
from tests.infrastructure import StackEndpoints
from tests.integration.test_sealing_rows_in_clear import table_files_hold

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class TwoServices:
    """Two services' logins on the test server, and how to reach it as admin or as one of them."""

    infra: StackEndpoints
    intake: ServiceLogin
    reporting: ServiceLogin

    async def ensure_roles(self) -> None:
        await ensure_service_roles(self.infra.database_url, [self.intake, self.reporting])

    def url(self, login: ServiceLogin, database: str | None = None) -> str:
        """The URL of `database` (by default the login's own) as the login's role."""
        admin = urlsplit(self.infra.postgres_admin_url)
        where = f"{admin.hostname}:{admin.port}" if admin.port else str(admin.hostname)
        netloc = f"{quote(login.role, safe='')}:{quote(login.password, safe='')}@{where}"
        return urlunsplit((admin.scheme, netloc, f"/{database or login.database}", admin.query, ""))


def new_login() -> ServiceLogin:
    name = unique("t")
    return ServiceLogin(role=name, database=name, password=secrets.token_urlsafe(24))


@pytest_asyncio.fixture
async def services(infra: StackEndpoints) -> AsyncIterator[TwoServices]:
    """Two fresh databases, as `duo infra up` creates them (by the superuser); dropped with their roles."""
    pair = TwoServices(infra, new_login(), new_login())
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        for login in (pair.intake, pair.reporting):
            await admin.execute(f'CREATE DATABASE "{login.database}"')
    finally:
        await admin.close()
    yield pair
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        for login in (pair.intake, pair.reporting):
            await admin.execute(f'DROP DATABASE IF EXISTS "{login.database}" WITH (FORCE)')
            await admin.execute(f'DROP ROLE IF EXISTS "{login.role}"')
    finally:
        await admin.close()


async def write_personal_data(url: str) -> None:
    con = await asyncpg.connect(url)
    try:
        await con.execute("CREATE TABLE personal_data (person_id INT PRIMARY KEY, email TEXT NOT NULL)")
        await con.execute("INSERT INTO personal_data VALUES (1, 'an@example.org')")
    finally:
        await con.close()


async def test_a_service_role_owns_its_database_and_works_in_it(services):
    await services.ensure_roles()
    await write_personal_data(services.url(services.intake))
    con = await asyncpg.connect(services.url(services.intake))
    try:
        assert await con.fetchval("SELECT current_user") == services.intake.role
        await con.execute("UPDATE personal_data SET email = 'new@example.org' WHERE person_id = 1")
        assert await con.fetchval("SELECT email FROM personal_data") == "new@example.org"
        assert not await con.fetchval(
            "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
    finally:
        await con.close()


async def test_another_service_role_cannot_connect_to_the_database(services):
    await services.ensure_roles()
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT privilege"):
        await asyncpg.connect(services.url(services.reporting, services.intake.database))
    own = await asyncpg.connect(services.url(services.reporting))  # while its own database lets it in
    await own.close()


async def test_another_role_let_in_by_mistake_still_reads_no_table_and_is_shut_out_again(services):
    await services.ensure_roles()
    await write_personal_data(services.url(services.intake))
    admin = await asyncpg.connect(services.infra.database_url("postgres"))
    try:
        await admin.execute(f'GRANT CONNECT ON DATABASE "{services.intake.database}" TO "{services.reporting.role}"')
    finally:
        await admin.close()
    intruder = await asyncpg.connect(services.url(services.reporting, services.intake.database))
    try:
        # Its schema is shut to other roles (PUBLIC has no USAGE), and so are the tables in it.
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="schema public"):
            await intruder.fetch("SELECT * FROM public.personal_data")
        admin = await asyncpg.connect(services.infra.database_url(services.intake.database))
        try:
            await admin.execute(f'GRANT USAGE ON SCHEMA public TO "{services.reporting.role}"')
        finally:
            await admin.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="table personal_data"):
            await intruder.fetch("SELECT * FROM public.personal_data")
    finally:
        await intruder.close()
    await services.ensure_roles()  # the next `duo infra up` takes the stray grant back
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(services.url(services.reporting, services.intake.database))


async def test_running_it_again_is_harmless_and_hands_over_what_a_superuser_created(services):
    await services.ensure_roles()
    await write_personal_data(services.url(services.intake))
    # A data folder from before the roles: the services, then the superuser, made the tables.
    admin = await asyncpg.connect(services.infra.database_url(services.intake.database))
    try:
        await admin.execute("CREATE TABLE events (position BIGINT GENERATED ALWAYS AS IDENTITY, data TEXT)")
        await admin.execute("INSERT INTO events (data) VALUES ('before')")
    finally:
        await admin.close()
    await services.ensure_roles()
    await services.ensure_roles()
    con = await asyncpg.connect(services.url(services.intake))  # the same password still logs in
    try:
        assert await con.fetchval("SELECT email FROM personal_data") == "an@example.org"
        await con.execute("INSERT INTO events (data) VALUES ('after')")
        assert await con.fetchval("SELECT count(*) FROM events") == 2
    finally:
        await con.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(services.url(services.reporting, services.intake.database))


def test_only_plain_names_make_a_login():
    for role, database in (('x"; DROP DATABASE y; --', "db"), ("role", "Db"), ("postgres", "db"), ("r", "template1")):
        with pytest.raises(ValueError):
            ServiceLogin(role=role, database=database, password="secret")
    with pytest.raises(ValueError):
        ServiceLogin(role="r", database="db", password="")
    assert "secret" not in repr(ServiceLogin(role="r", database="db", password="secret"))


def test_role_passwords_are_kept_in_0600_files_and_become_the_services_urls(tmp_path):
    passwords = ensure_role_passwords(tmp_path)
    roles = {*SERVICES, *(f"{service}_runtime" for service in SERVICES)}  # each service's owner and runtime role
    assert set(passwords) == roles and len(set(passwords.values())) == len(roles)
    assert (tmp_path / "roles").stat().st_mode & 0o077 == 0
    for role in roles:
        assert (tmp_path / "roles" / f"{role}.password").stat().st_mode & 0o077 == 0
    assert ensure_role_passwords(tmp_path) == passwords  # kept across `up`s, never rotated
    (tmp_path / "infra.json").write_text(json.dumps({"postgres_port": 5999, "kafka_port": 9999}))
    (tmp_path / "postgres.password").write_text("superuser-secret\n")
    settings = load_service_settings("reporting", {"DUO_HOME": str(tmp_path)})
    runtime, owner = quote(passwords["reporting_runtime"], safe=""), quote(passwords["reporting"], safe="")
    assert settings.database_url == f"postgresql://duo_reporting_runtime:{runtime}@127.0.0.1:5999/duo_reporting"
    assert settings.owner_database_url == f"postgresql://duo_reporting:{owner}@127.0.0.1:5999/duo_reporting"
    given = {"DUO_HOME": str(tmp_path), "REPORTING_DATABASE_URL": "postgresql://u@db/reporting"}
    assert load_service_settings("reporting", given).database_url == "postgresql://u@db/reporting"


async def drop_login(services: TwoServices, login: ServiceLogin) -> None:
    """The test's own database and runtime role, gone (the owner role is the session's)."""
    admin = await asyncpg.connect(services.infra.postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{login.database}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{login.runtime_role}"')
    finally:
        await admin.close()


@dataclass(frozen=True)
class RuntimeSplit:
    """Intake's real schema, migrated by its owner role, and its runtime role granted what serving uses."""

    owner_url: str
    runtime_url: str


@pytest_asyncio.fixture
async def intake_roles(services: TwoServices) -> AsyncIterator[RuntimeSplit]:
    login = ServiceLogin(
        services.intake.role, services.intake.database, services.intake.password, secrets.token_urlsafe(24)
    )
    await ensure_service_roles(services.infra.database_url, [login])
    owner_url = services.url(login)
    runtime_url = services.url(ServiceLogin(login.runtime_role, login.database, login.runtime_password))
    runtime = await create_pool(runtime_url, min_size=1, max_size=1)
    try:
        await migrate_as_owner(owner_url, runtime, None, INTAKE_MIGRATIONS)
    finally:
        await runtime.close()
    yield RuntimeSplit(owner_url, runtime_url)
    await drop_login(services, login)


# What the probe tried as intake's role (issue 28), each refused to the runtime role: (statement, error).
REFUSED_TO_THE_RUNTIME_ROLE = [
    ("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change", "must be owner of table access_log"),
    ("ALTER TABLE access_log DISABLE TRIGGER ALL", "must be owner of table access_log"),
    ("DELETE FROM access_log", "permission denied for table access_log"),
    ("UPDATE access_log SET subject = 'nobody'", "permission denied for table access_log"),
    ("TRUNCATE access_log", "permission denied for table access_log"),
    ("DROP TRIGGER access_log_no_change ON access_log", "must be owner of"),
    ("DROP TABLE access_log", "must be owner of table access_log"),
    ("UPDATE events SET data = '{}'", "permission denied for table events"),
    ("DELETE FROM events", "permission denied for table events"),
    ("DELETE FROM event_chain", "permission denied for table event_chain"),
    ("UPDATE event_chain SET chain_hash = ''", "permission denied for table event_chain"),
    ("TRUNCATE events", "permission denied for table events"),
    ("ALTER TABLE events DISABLE TRIGGER ALL", "must be owner of table events"),
    ("CREATE TABLE stash (x int)", "permission denied for schema public"),
    (
        "CREATE OR REPLACE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RETURN NULL; END $$",
        "permission denied for schema public|must be owner of function",
    ),
    ("DELETE FROM schema_migrations", "permission denied for table schema_migrations"),
    (
        "INSERT INTO schema_migrations (component, version, name, checksum) VALUES ('x', 1, 'x', 'x')",
        "permission denied for table schema_migrations",
    ),
    ("ALTER ROLE CURRENT_USER SUPERUSER", "permission denied"),
    ("SET ROLE {owner}", "permission denied to set role"),
]


async def test_the_runtime_role_cannot_rewrite_records_nor_lift_their_protections(intake_roles):
    owner = urlsplit(intake_roles.owner_url).username
    con = await asyncpg.connect(intake_roles.runtime_url)
    try:
        for statement, error in REFUSED_TO_THE_RUNTIME_ROLE:
            with pytest.raises(asyncpg.PostgresError, match=error):
                await con.execute(statement.replace("{owner}", f'"{owner}"'))
    finally:
        await con.close()
    assert len(REFUSED_TO_THE_RUNTIME_ROLE) == 19


async def test_the_runtime_role_does_what_serving_needs_and_the_owner_still_migrates(intake_roles):
    con = await asyncpg.connect(intake_roles.runtime_url)
    try:
        assert await con.fetchval("SELECT current_user") != await con.fetchval(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'access_log'"
        )
        await con.execute(
            "INSERT INTO access_log (accessed_at, tenant, subject, role, action, person_ids, correlation_id, "
            "previous_hash, entry_hash) VALUES (now(), 'BE', 's', 'coordinator', 'read', '{}', gen_random_uuid(), "
            "'0', 'h')"
        )
        assert await con.fetchval("SELECT count(*) FROM access_log") == 1
        # The mutable tables are read and written, rows deleted (the outbox, idempotency keys, the vault).
        for table in ("outbox", "idempotency_keys", "personal_data", "people"):
            await con.execute(f"DELETE FROM {table} WHERE false")
        assert await applied_versions(con)  # and it sees that the schema is up to date, without DDL
    finally:
        await con.close()
    owner = await asyncpg.connect(intake_roles.owner_url)
    try:
        await owner.execute("ALTER TABLE people ADD COLUMN IF NOT EXISTS note TEXT")  # the owner alone changes it
    finally:
        await owner.close()


async def test_an_operators_migration_run_with_both_urls_grants_the_runtime_role(services: TwoServices):
    """`python -m services.intake.migrations` as a step of its own (the owner's credentials out of the serving pods)."""
    login = ServiceLogin(
        services.intake.role, services.intake.database, services.intake.password, secrets.token_urlsafe(24)
    )
    await ensure_service_roles(services.infra.database_url, [login])
    runtime_url = services.url(ServiceLogin(login.runtime_role, login.database, login.runtime_password))
    env = {**os.environ, "INTAKE_OWNER_DATABASE_URL": services.url(login), "INTAKE_DATABASE_URL": runtime_url}
    ran = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.intake.migrations"], env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    con = await asyncpg.connect(runtime_url)
    try:
        assert await con.fetchval("SELECT count(*) FROM access_log") == 0  # granted: it reads
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await con.execute("DELETE FROM access_log")
    finally:
        await con.close()
    await drop_login(services, login)


async def test_rows_in_clear_sealed_by_the_runtime_role_leave_the_files_through_the_owner(intake_roles, services):
    """PostgreSQL answers a non-owner's VACUUM FULL with a warning, not an error: the runtime role's sealing must
    rewrite the table as its owner, or the clear copies would stay in the files while the docs say they are gone."""
    master = MasterKeyRing(MasterKey.generate())
    email = f"legacy-{uuid.uuid4().hex[:8]}@example.org"
    owner = await asyncpg.connect(intake_roles.owner_url)
    try:
        await owner.execute(
            "INSERT INTO personal_data (person_id, kind, tenant, email_normalized, data) VALUES ($1, 'mentee', 'BE', "
            "$2, $3)",
            uuid.uuid4(),
            email,
            json.dumps({"first_name": "Amina", "last_name": "Legacy", "email": email}),
        )
    finally:
        await owner.close()
    admin = await asyncpg.connect(services.infra.database_url(urlsplit(intake_roles.owner_url).path.lstrip("/")))
    runtime = await create_pool(intake_roles.runtime_url, min_size=1, max_size=1)
    try:
        assert await table_files_hold(admin, email)
        assert await seal_rows_in_clear(runtime, master.current, intake_roles.owner_url) == 1
        assert not await table_files_hold(admin, email)
    finally:
        await runtime.close()
        await admin.close()


async def test_replicas_starting_together_grant_the_runtime_role_one_after_the_other(intake_roles):
    """Two GRANTs on one schema at the same moment fail with "tuple concurrently updated": a replica that then did
    not start (tests/e2e/test_replicas.py on CI). Each replica's grant takes its turn instead."""
    runtime_role = urlsplit(intake_roles.runtime_url).username or ""
    owners = [await asyncpg.connect(intake_roles.owner_url) for _ in range(6)]
    try:
        for _ in range(5):  # a few rounds: the collision needs both grants inside the same catalog update
            await asyncio.gather(*(grant_runtime_privileges(con, runtime_role) for con in owners))
    finally:
        for con in owners:
            await con.close()
    runtime = await asyncpg.connect(intake_roles.runtime_url)
    try:
        assert await runtime.fetchval("SELECT count(*) FROM access_log") == 0  # and the grants hold
    finally:
        await runtime.close()
