"""What intake does to its vault at every start, in the background (reads open every kind of row meanwhile):

- rows of personal data written in clear, before sealing (migration 0002), are sealed with a new data key each;
  the clear version each leaves as a dead tuple is then removed from the table's files by VACUUM FULL;
- data keys wrapped by a previous master key (a rotation under way) are wrapped again by the current one, and
  their e-mail index is made again under it.

`python -m services.intake.migrations` does both too. What no statement reaches (the WAL already written, the
backups taken before) is said in docs/security.md.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import structlog

from services.intake.adapters.vault import email_index, open_data, seal_row_in_clear, unwrap_key
from shared.shredding import MasterKey, MasterKeyRing
from shared.tenancy import Tenant

BATCH = 500

log = structlog.get_logger("intake.sealing")


async def seal_rows_in_clear(pool: asyncpg.Pool, master: MasterKey, owner_url: str | None = None) -> int:
    """Seal every row still in clear, a batch per transaction; then rewrite the table (as its owner: `owner_url`
    when the pool's role is not). How many were sealed."""
    sealed, after = 0, uuid.UUID(int=0)
    async with pool.acquire() as con:
        while ids := await con.fetch(
            "SELECT person_id FROM personal_data WHERE sealed IS NULL AND person_id > $1 ORDER BY person_id LIMIT $2",
            after,
            BATCH,
        ):
            for record in ids:
                after = record["person_id"]
                try:
                    async with con.transaction():
                        sealed += await seal_row_in_clear(con, master, after)
                except asyncpg.UniqueViolationError:
                    # Two people with one e-mail: a registration by a replica of the older version raced one by a
                    # newer replica during the roll-out. Left in clear for an operator to merge (the id is no
                    # personal value).
                    log.error("personal_data_left_in_clear_duplicate_email", person_id=str(after))
        if sealed:
            await _rewrite_table(con, owner_url)
    if sealed:
        log.info("personal_data_sealed", rows=sealed)
    return sealed


async def _rewrite_table(con: asyncpg.Connection, owner_url: str | None) -> None:
    # Plain VACUUM only marks the clear copies' space free (their bytes stay in the pages until overwritten);
    # VACUUM FULL writes the live rows, sealed, to new files and drops the old ones, indexes included. Only the
    # table's owner may, and PostgreSQL answers anyone else with a mere warning ("skipping it"), not an error:
    # so the owner is asked for first, never inferred from a VACUUM that seemed to succeed.
    if await _owns_personal_data(con):
        await con.execute("VACUUM FULL personal_data")
        return
    if owner_url is None:
        log.error("personal_data_not_rewritten", hint="run VACUUM FULL personal_data as the table's owner")
        return
    owner = await asyncpg.connect(owner_url)
    try:
        await owner.execute("VACUUM FULL personal_data")
    finally:
        await owner.close()


async def _owns_personal_data(con: asyncpg.Connection) -> bool:
    return bool(
        await con.fetchval(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') OR (SELECT rolsuper FROM pg_roles "
            "WHERE rolname = current_user) FROM pg_class WHERE oid = 'personal_data'::regclass"
        )
    )


async def wrap_again(con: asyncpg.Connection, keys: MasterKeyRing, person_id: uuid.UUID) -> bool:
    """Wrap one person's data key by the current master key, and index their e-mail under it, if it is not yet;
    call inside a transaction. Whether it was."""
    row = await con.fetchrow(
        "SELECT k.person_id, k.wrapped_key, k.master_key_id, d.tenant, d.sealed FROM data_keys k "
        "JOIN personal_data d USING (person_id) WHERE k.person_id = $1 AND k.master_key_id <> $2 "
        "FOR UPDATE OF k, d",
        person_id,
        keys.current.key_id,
    )
    if row is None:
        return False
    key = unwrap_key(keys, row)
    email = open_data(key, person_id, row["sealed"])["email"]
    await con.execute(
        "UPDATE data_keys SET wrapped_key = $2, master_key_id = $3 WHERE person_id = $1",
        person_id,
        keys.current.wrap(key, person_id.bytes),
        keys.current.key_id,
    )
    await con.execute(
        "UPDATE personal_data SET email_index = $2 WHERE person_id = $1",
        person_id,
        email_index(keys.current, Tenant(row["tenant"]), email),
    )
    return True


async def wrap_again_by_the_current_key(pool: asyncpg.Pool, keys: MasterKeyRing) -> int:
    """Wrap every data key not yet wrapped by the current master key again, a transaction each. How many were."""
    done, after = 0, uuid.UUID(int=0)
    async with pool.acquire() as con:
        while ids := await con.fetch(
            "SELECT person_id FROM data_keys WHERE master_key_id <> $1 AND person_id > $2 ORDER BY person_id LIMIT $3",
            keys.current.key_id,
            after,
            BATCH,
        ):
            for record in ids:
                after = record["person_id"]
                async with con.transaction():
                    done += await wrap_again(con, keys, after)
    # The count tells the operator the previous key can go once it is 0 at a start (docs/operations.md).
    left = await _count_left(pool, keys)
    log.info("data_keys_wrapped_again", rows=done, left_under_previous_keys=left)
    return done


async def _count_left(pool: asyncpg.Pool, keys: MasterKeyRing) -> int:
    async with pool.acquire() as con:
        left: int = await con.fetchval("SELECT count(*) FROM data_keys WHERE master_key_id <> $1", keys.current.key_id)
        return left


async def at_start(runtime: Any, keys: MasterKeyRing) -> None:
    """The background job of intake's start: seal what an older version wrote in clear, then finish a rotation."""
    await seal_rows_in_clear(runtime.pool, keys.current, runtime.settings.owner_database_url)
    await wrap_again_by_the_current_key(runtime.pool, keys)
