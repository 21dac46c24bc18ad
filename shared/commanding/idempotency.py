"""Idempotency-Key: a retried request gets the first answer and changes nothing.

The key's row is inserted with the answer as the last statement of the command's
transaction (docs/adr/0034), so another request with the same key either waits for
that commit, has its own work undone and replays the answer, or (if it rolled back)
finds no key and keeps its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from shared.commanding.errors import IdempotencyKeyReused, InvalidField
from shared.tenancy import Tenant

HEADER = "Idempotency-Key"
ERASED = "erased"  # the fingerprint of an answer whose person was erased: neither digest nor answer is kept
ERASED_ANSWER = {
    "detail": "the person this request was about has been erased",
    "errors": [
        {"field": HEADER, "rule": "person_erased", "message": "the person this request was about has been erased"}
    ],
}
MAX_KEY_LENGTH = 200


def idempotency_ddl() -> str:
    """DDL of the idempotency_keys table, for every service that takes commands."""
    return resources.files("shared.commanding.migrations").joinpath("0001_idempotency_keys.sql").read_text()


@dataclass(frozen=True)
class Answer:
    """A command's HTTP answer: what a retry with the same key gets again."""

    status: int
    body: dict[str, Any]


async def fingerprint(
    con: asyncpg.Connection, tenant: Tenant, method: str, path: str, body: Any, known: dict[str, bytes] | None = None
) -> str:
    """A keyed digest of the request (HMAC-SHA256 with the branch's secret), so reusing a key for a different
    request is caught, while the stored digest cannot confirm a guess of the person's data (an unkeyed hash could).

    `known`: the secrets this process already read from `con`'s database, by branch (kept by the caller, one dict per
    database), so that a command reads its branch's secret once per process, not twice per command (issue 24)."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    secret = known.get(tenant.value) if known is not None else None
    if secret is None:
        secret = await _branch_secret(con, tenant)
        if known is not None:
            known[tenant.value] = secret
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()


async def _branch_secret(con: asyncpg.Connection, tenant: Tenant) -> bytes:
    # Made on first use, one per branch, kept in the service's own database; never changed nor deleted afterwards,
    # which is what lets a process keep it once read.
    await con.execute(
        "INSERT INTO idempotency_secrets (tenant, secret) VALUES ($1, $2) ON CONFLICT (tenant) DO NOTHING",
        tenant.value,
        secrets.token_bytes(32),
    )
    secret: bytes = await con.fetchval("SELECT secret FROM idempotency_secrets WHERE tenant = $1", tenant.value)
    return secret


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
    if row["fingerprint"] == ERASED:
        return Answer(410, ERASED_ANSWER)
    if row["fingerprint"] != request_fingerprint:
        raise IdempotencyKeyReused()
    return Answer(row["status"], row["body"])


async def claim_with_answer(
    con: asyncpg.Connection, tenant: Tenant, key: str, request_fingerprint: str, answer: Answer
) -> bool:
    """Claim `key` with its answer, in the transaction of the effect it describes, as its last statement; False
    when an earlier request holds it (waiting, as any claim does, for one still in flight to commit or roll back)."""
    claimed: bool | None = await con.fetchval(
        "INSERT INTO idempotency_keys (tenant, idempotency_key, fingerprint, status, body) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING true",
        tenant.value,
        key,
        request_fingerprint,
        answer.status,
        answer.body,
    )
    return bool(claimed)


async def forget_answers_about(con: asyncpg.Connection, tenant: Tenant, record_id: uuid.UUID) -> int:
    """Erase the stored answers (and their digests) that name a record, such as a person being erased:
    a retry of such a request gets 410, never the old answer."""
    status = await con.execute(
        "UPDATE idempotency_keys SET fingerprint = $3, status = 410, body = $4 "
        "WHERE tenant = $1 AND EXISTS (SELECT 1 FROM jsonb_each_text(body) WHERE value = $2::text)",
        tenant.value,
        str(record_id),
        ERASED,
        ERASED_ANSWER,
    )
    return int(status.split()[-1])
