"""Rows of personal data written in clear before sealing (intake migration 0002): read and found as before until
sealed, sealed at start with a data key each, then gone from the table's files; a change to one seals it first."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from services.intake.adapters.sealing import seal_rows_in_clear
from services.intake.adapters.vault import PostgresVault, WrongMasterKey
from services.intake.domain.errors import DuplicatePerson
from services.intake.migrations import MIGRATIONS
from shared.eventstore.postgres import create_pool
from shared.migrations import migrate
from shared.shredding import MasterKey, MasterKeyRing
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration

MASTER = MasterKeyRing(MasterKey.generate())


def written_before(email: str) -> dict:
    return {"first_name": "Amina", "last_name": f"Legacy{uuid.uuid4().hex[:6]}", "email": email}


async def insert_in_clear(con: asyncpg.Connection, person_id: uuid.UUID, data: dict) -> None:
    await con.execute(
        "INSERT INTO personal_data (person_id, kind, tenant, email_normalized, data) "
        "VALUES ($1, 'mentee', 'BE', $2, $3)",
        person_id,
        data["email"].lower(),
        data,
    )


async def table_files_hold(con: asyncpg.Connection, value: str) -> bool:
    """Whether the files of personal_data or its indexes hold `value`, once every changed page is written."""
    await con.execute("CHECKPOINT")
    data_directory = Path(await con.fetchval("SHOW data_directory"))
    paths = await con.fetch(
        "SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c WHERE c.oid = 'personal_data'::regclass "
        "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'personal_data'::regclass)"
    )
    return any(value.encode() in (data_directory / row["path"]).read_bytes() for row in paths)


async def test_rows_written_in_clear_are_sealed_at_start_and_leave_the_table_files(database_url: str):
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as con:
            await migrate(con, MIGRATIONS, upto={"intake": 1})
            kept, changed = uuid.uuid4(), uuid.uuid4()
            email = f"Legacy-{uuid.uuid4().hex[:8]}@example.org"
            await insert_in_clear(con, kept, written_before(email))
            await insert_in_clear(con, changed, written_before(f"other-{uuid.uuid4().hex[:8]}@example.org"))
            await migrate(con, MIGRATIONS)
            vault = PostgresVault(con, MASTER)
            before = await vault.read(kept, Tenant.BE)
            assert before["email"] == email  # read in clear until sealed
            assert ((await vault.find_by_email(Tenant.BE, email.upper())) or (None,))[0] == kept
            assert await table_files_hold(con, email.lower())

            # A change to a row still in clear seals it first.
            await vault.update(changed, Tenant.BE, {"job_target_occupation": "cook"})
            assert (await vault.read(changed, Tenant.BE))["job_target_occupation"] == "cook"

        assert await seal_rows_in_clear(pool, MASTER.current) == 1
        assert await seal_rows_in_clear(pool, MASTER.current) == 0  # once

        async with pool.acquire() as con:
            vault = PostgresVault(con, MASTER)
            rows = await con.fetch("SELECT data, email_normalized, sealed, email_index FROM personal_data")
            assert all(r["data"] is None and r["email_normalized"] is None and r["sealed"] for r in rows)
            assert await con.fetchval("SELECT count(*) FROM data_keys") == 2
            assert await vault.read(kept, Tenant.BE) == before
            assert ((await vault.find_by_email(Tenant.BE, email.upper())) or (None,))[0] == kept
            async with con.transaction():
                with pytest.raises(DuplicatePerson):
                    await vault.store(uuid.uuid4(), "mentee", Tenant.BE, written_before(email.lower()))
            # VACUUM FULL rewrote the table: its clear copies are no longer in its files, nor in its indexes'.
            assert not await table_files_hold(con, email.lower())
            assert not await table_files_hold(con, before["last_name"])

            with pytest.raises(WrongMasterKey):
                await PostgresVault(con, MasterKeyRing(MasterKey.generate())).read(kept, Tenant.BE)
    finally:
        await pool.close()


async def test_a_new_persons_data_is_stored_or_a_known_address_refused_in_one_statement(database_url: str):
    """A registration's look-up of the address (sealed under any master key, or in clear), the sealed data and the
    data key: one statement (issue 24); a known address is a duplicate naming its person, nothing stored."""
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as con:
            await migrate(con, MIGRATIONS, upto={"intake": 1})
            in_clear, in_clear_email = uuid.uuid4(), f"Clear-{uuid.uuid4().hex[:8]}@example.org"
            await insert_in_clear(con, in_clear, written_before(in_clear_email))
            await migrate(con, MIGRATIONS)
            vault = PostgresVault(con, MASTER)
            statements: list[str] = []
            con.add_query_logger(lambda record: statements.append(record.query))

            async def store(person_id: uuid.UUID, email: str) -> None:
                await con.execute("SELECT 1")  # what was logged before (its calls scheduled) lands before the clear
                statements.clear()
                try:
                    async with con.transaction():
                        await vault.store(person_id, "mentee", Tenant.BE, written_before(email))
                finally:
                    await con.execute("SELECT 1")  # the logger's calls are scheduled: all run during a round trip

            def sent() -> list[str]:
                return [q for q in statements if q.strip() not in ("BEGIN;", "COMMIT;", "ROLLBACK;", "SELECT 1")]

            await store(uuid.uuid4(), f"first-{uuid.uuid4().hex[:8]}@example.org")  # asyncpg learns the types
            new, email = uuid.uuid4(), f"new-{uuid.uuid4().hex[:8]}@example.org"
            await store(new, email)
            assert len(sent()) == 1, sent()
            assert (await vault.read(new, Tenant.BE))["email"] == email
            for known, address in ((new, email.upper()), (in_clear, in_clear_email.lower())):
                with pytest.raises(DuplicatePerson) as duplicate:
                    await store(uuid.uuid4(), address)
                assert duplicate.value.ids["existing_id"] == known and len(sent()) == 1, sent()
            assert await con.fetchval("SELECT count(*) FROM personal_data") == 3
            assert await con.fetchval("SELECT count(*) FROM data_keys") == 2
    finally:
        await pool.close()
