"""`python -m services.intake.migrations`: bring intake's database (INTAKE_DATABASE_URL) up to date, then seal the
personal data an older version wrote in clear and finish a master key's rotation (INTAKE_VAULT_MASTER_KEY and
_PREVIOUS, or the data folder's key)."""

import asyncio
import os
import sys

from services.intake.migrations import MIGRATIONS
from shared.migrations import main


def seal_rows_in_clear() -> int:
    from services.intake.adapters.master_key import intake_master_keys
    from services.intake.adapters.sealing import seal_rows_in_clear as seal
    from services.intake.adapters.sealing import wrap_again_by_the_current_key
    from shared.eventstore.postgres import create_pool

    async def run() -> tuple[int, int]:
        keys = intake_master_keys()
        pool = await create_pool(os.environ["INTAKE_DATABASE_URL"], min_size=1, max_size=1)
        try:
            owner = os.environ.get("INTAKE_OWNER_DATABASE_URL")
            return await seal(pool, keys.current, owner), await wrap_again_by_the_current_key(pool, keys)
        finally:
            await pool.close()

    sealed, wrapped = asyncio.run(run())
    print(f"intake: {sealed} rows of personal data sealed, {wrapped} data keys wrapped by the current master key")
    return 0


status = main("intake", MIGRATIONS)
sys.exit(status or seal_rows_in_clear())
