"""A master key's rotation (docs/adr/0020): with the next key current and the previous one still in the ring, every
person reads and is found by e-mail as before; intake's start wraps each data key again by the current key and
indexes the e-mail under it; then the previous key opens nothing and may be destroyed."""

from __future__ import annotations

import uuid

import pytest

from services.intake.adapters.sealing import wrap_again_by_the_current_key
from services.intake.adapters.vault import PostgresVault, WrongMasterKey, email_index
from services.intake.migrations import MIGRATIONS
from shared.eventstore.postgres import create_pool
from shared.migrations import migrate
from shared.shredding import MasterKey, MasterKeyRing
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration


def person() -> dict:
    return {"first_name": "Amina", "last_name": "Rotated", "email": f"r-{uuid.uuid4().hex[:8]}@example.org"}


async def test_a_rotation_wraps_every_data_key_again_and_the_previous_key_can_go(database_url: str):
    previous, current = MasterKey.generate(), MasterKey.generate()
    kept, erased = uuid.uuid4(), uuid.uuid4()
    data = person()
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as con:
            await migrate(con, MIGRATIONS)
            before = PostgresVault(con, MasterKeyRing(previous))
            await before.store(kept, "mentee", Tenant.BE, data)
            await before.store(erased, "mentor", Tenant.BE, person())
            await before.erase(erased, Tenant.BE)

            during = PostgresVault(con, MasterKeyRing(current, (previous,)))
            assert await during.read(kept, Tenant.BE) == data
            assert ((await during.find_by_email(Tenant.BE, data["email"].upper())) or (None,))[0] == kept
            new_person = uuid.uuid4()
            await during.store(new_person, "mentee", Tenant.BE, person())  # new people under the current key

        assert await wrap_again_by_the_current_key(pool, MasterKeyRing(current, (previous,))) == 1
        assert await wrap_again_by_the_current_key(pool, MasterKeyRing(current, (previous,))) == 0

        async with pool.acquire() as con:
            assert await con.fetchval("SELECT array_agg(DISTINCT master_key_id) FROM data_keys") == [current.key_id]
            assert await con.fetchval("SELECT email_index FROM personal_data WHERE person_id = $1", kept) == (
                email_index(current, Tenant.BE, data["email"])
            )
            after = PostgresVault(con, MasterKeyRing(current))
            assert await after.read(kept, Tenant.BE) == data
            assert ((await after.find_by_email(Tenant.BE, data["email"])) or (None,))[0] == kept
            with pytest.raises(WrongMasterKey):
                await PostgresVault(con, MasterKeyRing(previous)).read(kept, Tenant.BE)
    finally:
        await pool.close()
