"""What a service's runtime role may do in its database: read and write its rows, nothing more.

Each service has two roles (docs/security.md): the owner, which owns the database, its schema and its
tables and runs the migrations, and the runtime role the service serves with. The owner grants the
runtime role, after each migration run, only what serving uses:

- no DDL, no trigger changes: the runtime role owns nothing, and only an owner may ALTER, DROP,
  DISABLE TRIGGER or TRUNCATE a table (TRUNCATE, REFERENCES and TRIGGER are never granted);
- on the append-only tables, INSERT and SELECT only: their rows are facts (events, the chain that
  vouches for them, the access log and its head's history), never changed or deleted once written;
- on every other table, SELECT, INSERT, UPDATE and DELETE; the sequences of identity columns, USAGE.

So a service's stolen runtime credentials can add rows, but cannot rewrite what was recorded nor lift
the protections that keep it.
"""

from __future__ import annotations

import asyncpg

_GRANT_LOCK = 7_246_005  # serialises the grants of replicas starting together (shared/migrations.py uses 001)

# Tables whose rows are never changed or deleted by a service (shared/eventstore, services/intake/migrations, the
# federation's frozen publications in services/reporting/migrations).
APPEND_ONLY = (
    "events",
    "event_chain",
    "erased_events",
    "access_log",
    "access_log_erased",
    "schema_migrations",
    "federation_publications",
)
_APPEND_ONLY_GRANTS = {"schema_migrations": "SELECT"}  # read at start to see that nothing is left to apply


async def grant_runtime_privileges(con: asyncpg.Connection, runtime_role: str) -> None:
    """As the owner: give `runtime_role` exactly the privileges above on every table of the public schema.

    Idempotent; run after every migration run, so that tables a migration added are covered too.
    """
    role = await con.fetchval("SELECT quote_ident($1)", runtime_role)
    async with con.transaction():
        # Replicas starting together grant one after the other: two GRANTs on the same schema at once fail with
        # "tuple concurrently updated" (a replica that then did not start). Held for this transaction only.
        await con.execute("SELECT pg_advisory_xact_lock($1)", _GRANT_LOCK)
        await con.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        await con.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        await con.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        for table in APPEND_ONLY:
            if await con.fetchval("SELECT to_regclass($1)", f"public.{table}") is not None:
                await con.execute(f"REVOKE UPDATE, DELETE ON public.{table} FROM {role}")
                if table in _APPEND_ONLY_GRANTS:
                    await con.execute(f"REVOKE ALL ON public.{table} FROM {role}")
                    await con.execute(f"GRANT {_APPEND_ONLY_GRANTS[table]} ON public.{table} TO {role}")
        await con.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
        await con.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
