"""Least privilege in the data layer: per service, an owner role (its database, schema and tables; the
migrations) and a runtime role (what serving uses: shared/runtime_privileges.py), the only two let in.

The SQL lives here only: `duo infra up` runs it on the embedded server for the four service
databases, and the tests run it on databases and roles of their own. (Docker Compose does the
same at its first start, in deploy/postgres/init-databases.sql, since it has no Python to run.)

Every statement is built by PostgreSQL's own `format()` (`%I` quotes an identifier, `%L` a
literal) from names checked against a strict pattern, never by pasting strings together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

from shared.endpoints import runtime_role

MAINTENANCE_DATABASE = "postgres"  # where the cluster-wide statements (roles, database owners) run
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class ServiceLogin:
    """A service's database and the login role that owns it; no other role may connect to it."""

    role: str
    database: str
    password: str = field(repr=False)  # never in a log line or a traceback
    # The runtime role's (`<role>_runtime`); "" for none: the service then runs as the owner.
    runtime_password: str = field(default="", repr=False)

    @property
    def runtime_role(self) -> str:
        return runtime_role(self.role)

    def __post_init__(self) -> None:
        for name in (self.role, self.database):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a plain lower-case PostgreSQL name: {name!r}")
        if self.role == MAINTENANCE_DATABASE or self.database in (MAINTENANCE_DATABASE, "template0", "template1"):
            raise ValueError(f"{self.role}/{self.database}: not a service's role and database")
        if not self.password:
            raise ValueError(f"{self.role}: a service role needs a password")


async def ensure_service_roles(admin_dsn_of: Callable[[str], str], logins: Sequence[ServiceLogin]) -> None:
    """Give each service its own role that owns its database, and shut every other role out of it.

    `admin_dsn_of(database)` is a superuser's URL of that database; the databases exist already.
    Idempotent, and run on every `duo infra up`: a missing role is created, an existing one gets
    the given password again (the caller's record stays the truth), and a store whose tables a
    superuser created (a data folder from before these roles) is handed over to its role.
    """
    con = await asyncpg.connect(admin_dsn_of(MAINTENANCE_DATABASE))
    try:
        for login in logins:
            await _ensure_login_role(con, login.role, login.password)
            if login.runtime_password:
                await _ensure_login_role(con, login.runtime_role, login.runtime_password)
            await _restrict_database(con, login)
    finally:
        await con.close()
    for login in logins:
        con = await asyncpg.connect(admin_dsn_of(login.database))
        try:
            await _hand_over_public_schema(con, login.role)
        finally:
            await con.close()


async def _execute(con: asyncpg.Connection, template: str, *values: str) -> None:
    """Run `template` with `values` quoted by the server's `format()` (%I identifiers, %L literals)."""
    arguments = "".join(f", ${i + 2}::text" for i in range(len(values)))
    statement = await con.fetchval(f"SELECT format($1::text{arguments})", template, *values)
    await con.execute(statement)


async def _ensure_login_role(con: asyncpg.Connection, role: str, password: str) -> None:
    exists = await con.fetchval("SELECT count(*) > 0 FROM pg_roles WHERE rolname = $1", role)
    # Nothing beyond logging in: no superuser, no new databases or roles, no bypassing row security.
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    verb = "ALTER" if exists else "CREATE"
    await _execute(con, f"{verb} ROLE %I WITH {attributes} PASSWORD %L", role, password)


async def _restrict_database(con: asyncpg.Connection, login: ServiceLogin) -> None:
    await _execute(con, "ALTER DATABASE %I OWNER TO %I", login.database, login.role)
    await _execute(con, "REVOKE ALL ON DATABASE %I FROM PUBLIC", login.database)
    # Whatever else was granted on it, by hand or by mistake, goes too: its role alone connects.
    others = await con.fetch(
        """
        SELECT DISTINCT r.rolname
        FROM pg_database d, aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee
        WHERE d.datname = $1 AND a.grantee <> d.datdba
        """,
        login.database,
    )
    for other in others:
        await _execute(con, "REVOKE ALL ON DATABASE %I FROM %I", login.database, other["rolname"])
    await _execute(con, "GRANT CONNECT ON DATABASE %I TO %I", login.database, login.role)
    if login.runtime_password:  # its table privileges come from the owner, after each migration run
        await _execute(con, "GRANT CONNECT ON DATABASE %I TO %I", login.database, login.runtime_role)


# Relations and routines of the public schema that the role does not own yet. Indexes and the
# sequences of identity and serial columns follow their table; extension members stay as they are.
_NOT_OWNED = """
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                      WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
       format('%I.%I', n.nspname, c.relname) AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relowner <> $1::regrole
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proowner <> $1::regrole
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
"""


async def _hand_over_public_schema(con: asyncpg.Connection, role: str) -> None:
    # PostgreSQL 15+ no longer lets PUBLIC create in `public`: the service's role must own it.
    await _execute(con, "ALTER SCHEMA public OWNER TO %I", role)
    await _execute(con, "REVOKE ALL ON SCHEMA public FROM PUBLIC")
    for row in await con.fetch(_NOT_OWNED, role):
        # `name` is quoted already (format's %I, or regprocedure's output): passed with %s.
        await _execute(con, f"ALTER {row['kind']} %s OWNER TO %I", row["name"], role)
