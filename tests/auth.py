"""Tokens for the tests: one key pair per test session, and the bearer headers each role and branch sends."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from shared.auth.identity import Identity, Role
from shared.auth.keys import new_key_pair
from shared.auth.tokens import TokenVerifier, issue_token
from shared.tenancy import Tenant

KEYS = new_key_pair()
VERIFIER = TokenVerifier(public_pem=KEYS.public_pem)
SCRAPE_TOKEN = secrets.token_urlsafe(16)  # what the tests' Prometheus sends for /metrics


def token(
    branch: str | None = "BE",
    role: Role = Role.COORDINATOR,
    offices: set[str] | None = None,
    subject: str = "coordinator-17",
    ttl: timedelta = timedelta(hours=12),
    private_pem: str = KEYS.private_pem,
    now: datetime | None = None,
) -> str:
    """A token signed with the session's key (or another), valid for `ttl` from now."""
    identity = Identity(
        subject, role, Tenant(branch) if branch else None, frozenset(offices) if offices is not None else None
    )
    return issue_token(private_pem, identity, ttl, now or datetime.now(UTC))


def bearer(branch: str | None = "BE", role: Role = Role.COORDINATOR, **kwargs) -> dict[str, str]:
    """The Authorization header of a member of staff of `branch` with `role`."""
    return {"Authorization": f"Bearer {token(branch, role, **kwargs)}"}
