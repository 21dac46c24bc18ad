"""What every intake route shares: the caller, the branch's today, the command transaction, error answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.intake.api.error_body import error_body
from services.intake.api.headers import expected_version
from services.intake.errors import (
    DuplicatePerson,
    IdempotencyKeyReused,
    IntakeError,
    InvalidField,
    NotEligible,
    PersonNotFound,
)
from services.intake.handlers import Caller, Unit
from services.intake.idempotency import (
    Answer,
    check_key,
    claim_or_replay,
    fingerprint,
    remember,
)
from shared.eventstore.base import WrongExpectedVersion
from shared.tenancy import Tenant

_STATUS = {PersonNotFound: 404, DuplicatePerson: 409, InvalidField: 422, NotEligible: 422, IdempotencyKeyReused: 422}
# Without If-Match a change means "apply this to the latest version": losing a race to a
# concurrent change is retried on the new state. Each loser retries after a winner committed,
# so n concurrent changes need at most n attempts; past that it is a 409 like any conflict.
ATTEMPTS = 5


def caller(request: Request, actor: str, tenant: Tenant, if_match: str | None = None) -> Caller:
    """The caller of a command: X-Actor, X-Tenant, the correlation id, the app's clock, If-Match."""
    return Caller(actor, tenant, request.state.correlation_id, request.app.state.clock(), expected_version(if_match))


def today(request: Request, tenant: Tenant) -> date:
    """Today in the branch's time zone, on the app's clock (overridable in create_app for tests)."""
    return request.app.state.today(tenant)


async def run_command(
    request: Request, who: Caller, key: str | None, body: Any, work: Callable[[Unit], Awaitable[Answer]]
) -> JSONResponse:
    """Run `work` in one transaction; with an Idempotency-Key, store its answer in that transaction or replay it."""
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as con, con.transaction():
        if key is not None:
            request_print = fingerprint(request.method, request.url.path, body)
            if (first := await claim_or_replay(con, who.tenant, check_key(key), request_print)) is not None:
                return JSONResponse(first.body, first.status, headers={**_etag(first.body), "Idempotent-Replayed": "true"})
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # A savepoint per attempt: a lost race undoes only this attempt's writes, the
                # Idempotency-Key claim stays, and the retry reads what the winner committed.
                async with con.transaction():
                    answer = await work(Unit(con, runtime.store))
                break
            except WrongExpectedVersion:
                if who.expected_version is not None or attempt == ATTEMPTS:
                    raise
        if key is not None:
            await remember(con, who.tenant, key, answer)
    return JSONResponse(answer.body, answer.status, headers=_etag(answer.body))


def _etag(body: dict) -> dict[str, str]:
    return {"ETag": f'"{body["version"]}"'} if "version" in body else {}


async def intake_error(_request: Request, exc: IntakeError) -> JSONResponse:
    """A domain refusal as a 4xx naming the field and the rule."""
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 409)
    ids = {name: getattr(exc, name, None) for name in ("existing_id", "existing_kind", "existing_status")}
    return JSONResponse(error_body(exc.detail, exc.problems, **ids), status)


def install_error_answers(app: FastAPI) -> None:
    """Map intake's domain errors to HTTP answers."""
    app.add_exception_handler(IntakeError, intake_error)
