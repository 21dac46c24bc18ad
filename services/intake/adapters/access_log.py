"""The access log: every read of personal data, append-only and chained by a keyed hash (tamper-evident).

Written after the read and before the answer, so no personal data leaves intake
without its row: if the row cannot be written, the request fails and answers nothing.
Each entry's hash is an HMAC, with a key derived from intake's chain key (never in the
database), of its content and the previous hash: whoever can write the table but lacks
the key cannot recompute the chain after an edit. The head (the last entry's id and
hash, with its own HMAC) is kept outside the log, in `access_log_head`, written with each
entry: an entry cut from the end leaves the head naming it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from services.intake.adapters.access_log_erasure import ErasedEntries
from shared.auth.identity import Identity
from shared.eventstore.chain_key import configured_chain_key
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


def access_log_key_of(chain_key: bytes) -> bytes:
    """The access log's key derived from intake's chain key, so that one secret is kept, not two."""
    return hmac.new(chain_key, b"access-log", hashlib.sha256).digest()


@functools.cache
def access_log_key() -> bytes:
    """Intake's key for the access log (its chain key's, as configured)."""
    return access_log_key_of(configured_chain_key("intake", os.environ))


def _head_mac(entry_id: int, entry_hash_: str, key: bytes | None = None) -> str:
    return hmac.new(key or access_log_key(), f"{entry_id}:{entry_hash_}".encode(), hashlib.sha256).hexdigest()


def entry_hash(previous_hash: str, access: Access, key: bytes | None = None) -> str:
    """The hash of an entry: an HMAC of its content and the previous entry's hash."""
    content = [
        access.accessed_at.isoformat(),
        access.tenant.value,
        access.subject,
        access.role,
        access.action,
        sorted(str(p) for p in access.person_ids),
        str(access.correlation_id),
    ]
    message = (previous_hash + json.dumps(content, separators=(",", ":"))).encode()
    return hmac.new(key or access_log_key(), message, hashlib.sha256).hexdigest()


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
        await append_entry(con, access)


async def append_entry(con: asyncpg.Connection, access: Access, key: bytes | None = None) -> None:
    """Append `access` at the chain's end, inside the caller's transaction (taking turns with other appends)."""
    await con.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
    # The head names the last entry even when it was erased on purpose (access_log_erasure.py); a log from before
    # the head existed has none: its last row.
    previous = await con.fetchval(
        "SELECT coalesce((SELECT entry_hash FROM access_log_head), "
        "(SELECT entry_hash FROM access_log ORDER BY entry_id DESC LIMIT 1))"
    )
    await _insert(con, access, previous or GENESIS, key)


async def _insert(con: asyncpg.Connection, access: Access, previous: str, key: bytes | None) -> None:
    digest = entry_hash(previous, access, key)
    entry_id = await con.fetchval(
        "INSERT INTO access_log (accessed_at, tenant, subject, role, action, person_ids, correlation_id, "
        "previous_hash, entry_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING entry_id",
        access.accessed_at,
        access.tenant.value,
        access.subject,
        access.role,
        access.action,
        list(access.person_ids),
        access.correlation_id,
        previous,
        digest,
    )
    await con.execute(
        "INSERT INTO access_log_head (entry_id, entry_hash, head_mac) VALUES ($1, $2, $3) ON CONFLICT (one) "
        "DO UPDATE SET entry_id = excluded.entry_id, entry_hash = excluded.entry_hash, head_mac = excluded.head_mac",
        entry_id,
        digest,
        _head_mac(entry_id, digest, key),
    )


async def accesses(
    con: asyncpg.Connection, tenant: Tenant, person: uuid.UUID | None, limit: int, offset: int
) -> list[dict[str, Any]]:
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
    erased: int = 0  # entries erased on purpose, each with a valid mark (access_log_erasure.py)


async def verify_chain(con: asyncpg.Connection) -> ChainCheck:
    """Recompute every entry's hash in order; the first edited, inserted or deleted entry breaks the chain."""
    previous, verified, last_entry, erased = GENESIS, 0, None, 0
    async with con.transaction(isolation="repeatable_read", readonly=True):
        head = await con.fetchrow("SELECT entry_id, entry_hash, head_mac FROM access_log_head")
        gone = ErasedEntries(await con.fetch("SELECT * FROM access_log_erased ORDER BY entry_id"), access_log_key())
        async for row in con.cursor("SELECT * FROM access_log ORDER BY entry_id"):
            previous, last_entry, erased = gone.passed_over(previous, last_entry, row["entry_id"], erased)
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
            if not hmac.compare_digest(row["entry_hash"], entry_hash(previous, access)):
                return ChainCheck(verified, row["entry_id"], "its content or its hash was changed")
            previous, verified, last_entry = row["entry_hash"], verified + 1, row["entry_id"]
        previous, last_entry, erased = gone.passed_over(previous, last_entry, None, erased)
    return replace(_check_head(verified, last_entry, previous, head), erased=erased)


def _check_head(verified: int, last_entry: int | None, last_hash: str, head: asyncpg.Record | None) -> ChainCheck:
    """The chain, once it holds, against the head kept outside the log: a cut tail leaves the head naming it."""
    if head is None:
        if last_entry is None:
            return ChainCheck(0)
        return ChainCheck(verified, last_entry, "the log's head is missing: deleted from outside the log")
    if not hmac.compare_digest(head["head_mac"], _head_mac(head["entry_id"], head["entry_hash"])):
        return ChainCheck(verified, head["entry_id"], "the log's head was altered")
    if last_entry is None or head["entry_id"] > last_entry:
        return ChainCheck(verified, head["entry_id"], "entries were cut from the end: the head names this one")
    if head["entry_id"] != last_entry or not hmac.compare_digest(head["entry_hash"], last_hash):
        return ChainCheck(verified, last_entry, "the log and its head disagree: the head was replaced by an older one")
    return ChainCheck(verified)
