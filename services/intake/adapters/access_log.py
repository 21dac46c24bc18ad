"""The access log: every read of personal data, append-only and hash-chained (tamper-evident).

Written after the read and before the answer, so no personal data leaves intake
without its row: if the row cannot be written, the request fails and answers nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.auth.identity import Identity
from shared.tenancy import Tenant

GENESIS = "0" * 64  # the "previous hash" of the first entry
_CHAIN_LOCK = 7_246_103  # appends take turns, so the chain order is the commit order


@dataclass(frozen=True)
class Access:
    """One read of personal data."""

    accessed_at: datetime
    tenant: Tenant
    subject: str
    role: str
    action: str
    person_ids: tuple[uuid.UUID, ...]
    correlation_id: uuid.UUID


def entry_hash(previous_hash: str, access: Access) -> str:
    """The hash of an entry: its content and the previous entry's hash."""
    content = [
        access.accessed_at.isoformat(),
        access.tenant.value,
        access.subject,
        access.role,
        access.action,
        sorted(str(p) for p in access.person_ids),
        str(access.correlation_id),
    ]
    return hashlib.sha256((previous_hash + json.dumps(content, separators=(",", ":"))).encode()).hexdigest()


async def record_access(
    con: asyncpg.Connection,
    identity: Identity,
    action: str,
    person_ids: Sequence[uuid.UUID],
    correlation_id: uuid.UUID,
    now: datetime,
) -> None:
    """Append one entry in a transaction of its own (read committed: the chain's last hash must be the latest
    committed one, not an older snapshot of the read). Call it after the read and before answering."""
    assert not con.is_in_transaction(), "an access is recorded in a transaction of its own"
    assert identity.branch is not None
    access = Access(
        now, identity.branch, identity.subject, identity.role.value, action, tuple(person_ids), correlation_id
    )
    async with con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
        previous = await con.fetchval("SELECT entry_hash FROM access_log ORDER BY entry_id DESC LIMIT 1") or GENESIS
        await _insert(con, access, previous)


async def _insert(con: asyncpg.Connection, access: Access, previous: str) -> None:
    await con.execute(
        "INSERT INTO access_log (accessed_at, tenant, subject, role, action, person_ids, correlation_id, "
        "previous_hash, entry_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        access.accessed_at,
        access.tenant.value,
        access.subject,
        access.role,
        access.action,
        list(access.person_ids),
        access.correlation_id,
        previous,
        entry_hash(previous, access),
    )


async def accesses(
    con: asyncpg.Connection, tenant: Tenant, person: uuid.UUID | None, limit: int, offset: int
) -> list[dict]:
    """The branch's entries, newest first, those naming `person` only when given."""
    rows = await con.fetch(
        "SELECT entry_id, accessed_at, subject, role, action, person_ids, correlation_id, entry_hash "
        "FROM access_log WHERE tenant = $1 AND ($2::uuid IS NULL OR $2 = ANY (person_ids)) "
        "ORDER BY entry_id DESC LIMIT $3 OFFSET $4",
        tenant.value,
        person,
        limit,
        offset,
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    """The result of recomputing the chain: how many entries held, and the first that did not."""

    verified: int
    first_broken_entry: int | None = None
    reason: str | None = None


async def verify_chain(con: asyncpg.Connection) -> ChainCheck:
    """Recompute every entry's hash in order; the first edited, inserted or deleted entry breaks the chain."""
    previous, verified = GENESIS, 0
    async with con.transaction(isolation="repeatable_read", readonly=True):
        async for row in con.cursor("SELECT * FROM access_log ORDER BY entry_id"):
            access = Access(
                row["accessed_at"],
                Tenant(row["tenant"]),
                row["subject"],
                row["role"],
                row["action"],
                tuple(row["person_ids"]),
                row["correlation_id"],
            )
            if row["previous_hash"] != previous:
                return ChainCheck(verified, row["entry_id"], "the entry before it was changed or deleted")
            if row["entry_hash"] != entry_hash(previous, access):
                return ChainCheck(verified, row["entry_id"], "its content was changed")
            previous, verified = row["entry_hash"], verified + 1
    return ChainCheck(verified)
