"""Idempotency-Key: a retried request gets the first answer and changes nothing.

The key's row is inserted at the start of the command's transaction and completed
before its commit, so another request with the same key either waits for that
commit and replays the answer, or (if it rolled back) finds no key and runs afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from shared.commanding.errors import IdempotencyKeyReused, InvalidField
from shared.tenancy import Tenant

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def idempotency_ddl() -> str:
    """DDL of the idempotency_keys table, for every service that takes commands."""
    return resources.files("shared.commanding").joinpath("idempotency.sql").read_text()


@dataclass(frozen=True)
class Answer:
    """A command's HTTP answer: what a retry with the same key gets again."""

    status: int
    body: dict[str, Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    """A digest of the request, so reusing a key for a different request is caught."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """A usable key: 1 to MAX_KEY_LENGTH printable characters."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidField(HEADER, "idempotency_key_format", f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


async def claim_or_replay(con: asyncpg.Connection, tenant: Tenant, key: str, request_fingerprint: str) -> Answer | None:
    """None if this request is the branch's first with `key` (it now owns it); otherwise the first answer."""
    claimed = await con.fetchval(
        "INSERT INTO idempotency_keys (tenant, idempotency_key, fingerprint) VALUES ($1, $2, $3) "
        "ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING true",
        tenant.value,
        key,
        request_fingerprint,
    )
    if claimed:
        return None
    row = await con.fetchrow(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE tenant = $1 AND idempotency_key = $2",
        tenant.value,
        key,
    )
    if row["fingerprint"] != request_fingerprint:
        raise IdempotencyKeyReused()
    return Answer(row["status"], row["body"])


async def remember(con: asyncpg.Connection, tenant: Tenant, key: str, answer: Answer) -> None:
    """Store the answer in the transaction of the effect it describes."""
    await con.execute(
        "UPDATE idempotency_keys SET status = $3, body = $4 WHERE tenant = $1 AND idempotency_key = $2",
        tenant.value,
        key,
        answer.status,
        answer.body,
    )
