"""Intake's access log moved with its people: the branch's entries appended to the new region's log, then erased
from the old one's (each recorded under a keyed mark: services/intake/adapters/access_log_erasure.py).

Who read whose personal data stays with the people: in the new region each entry is appended as it was (time,
staff subject, role, action, people, correlation id), chained under the new region's key. An entry already there
(same correlation id, time, subject and action) is not appended again, so a copy run again adds only what is
missing.
"""

from __future__ import annotations

import asyncpg

from services.intake.adapters.access_log import Access, access_log_key_of, append_entry
from services.intake.adapters.access_log_erasure import erase_entries
from shared.tenancy import Tenant

_SAME_ENTRY = "correlation_id = $1 AND accessed_at = $2 AND subject = $3 AND action = $4"


async def copy_entries(source: asyncpg.Connection, target: asyncpg.Connection, branch: Tenant, chain_key: bytes) -> int:
    """The branch's entries appended to `target`'s log (in its transaction), in their order, keyed by the new
    region's intake `chain_key`; how many were new there."""
    added = 0
    for row in await source.fetch("SELECT * FROM access_log WHERE tenant = $1 ORDER BY entry_id", branch.value):
        same = (row["correlation_id"], row["accessed_at"], row["subject"], row["action"])
        if await target.fetchval(f"SELECT true FROM access_log WHERE {_SAME_ENTRY}", *same):
            continue
        access = Access(
            row["accessed_at"],
            branch,
            row["subject"],
            row["role"],
            row["action"],
            tuple(row["person_ids"]),
            row["correlation_id"],
        )
        await append_entry(target, access, access_log_key_of(chain_key))
        added += 1
    return added


async def entries_not_copied(source: asyncpg.Connection, target: asyncpg.Connection, branch: Tenant) -> int:
    """How many of the branch's entries in `source` the new region's log lacks."""
    missing = 0
    for row in await source.fetch("SELECT * FROM access_log WHERE tenant = $1", branch.value):
        same = (row["correlation_id"], row["accessed_at"], row["subject"], row["action"])
        missing += not await target.fetchval(f"SELECT true FROM access_log WHERE {_SAME_ENTRY}", *same)
    return missing


async def erase_branch_entries(con: asyncpg.Connection, branch: Tenant, chain_key: bytes, reason: str) -> int:
    """The branch's entries erased from the old region's log (in the caller's transaction); how many."""
    return await erase_entries(con, branch, access_log_key_of(chain_key), reason)
