"""Least privilege in the data layer: each service's role reaches its own database and nothing else.

The roles are made by the very function `duo infra up` runs (devtool.database_roles), on
databases and roles of the test's own, so a real stack's duo_* databases are never touched.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from devtool.database_roles import ServiceLogin, ensure_service_roles
from devtool.embedded_postgres_server import SERVICES, ensure_role_passwords
from shared.config import load_service_settings
from tests.conftest import unique
from tests.infrastructure import StackEndpoints

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
    assert set(passwords) == set(SERVICES) and len(set(passwords.values())) == len(SERVICES)
    assert (tmp_path / "roles").stat().st_mode & 0o077 == 0
    for service in SERVICES:
        assert (tmp_path / "roles" / f"{service}.password").stat().st_mode & 0o077 == 0
    assert ensure_role_passwords(tmp_path) == passwords  # kept across `up`s, never rotated
    (tmp_path / "infra.json").write_text(json.dumps({"postgres_port": 5999, "kafka_port": 9999}))
    (tmp_path / "postgres.password").write_text("superuser-secret\n")
    url = load_service_settings("reporting", {"DUO_HOME": str(tmp_path)}).database_url
    assert url == f"postgresql://duo_reporting:{quote(passwords['reporting'], safe='')}@127.0.0.1:5999/duo_reporting"
    given = {"DUO_HOME": str(tmp_path), "REPORTING_DATABASE_URL": "postgresql://u@db/reporting"}
    assert load_service_settings("reporting", given).database_url == "postgresql://u@db/reporting"
