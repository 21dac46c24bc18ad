"""What every intake route shares: the command transaction with Idempotency-Key, the caller, and error answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from services.intake.api.views import ErrorBody, error_body
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
    HEADER,
    Answer,
    check_key,
    claim_or_replay,
    fingerprint,
    remember,
)

ActorHeader = Annotated[str, Header(alias="X-Actor", min_length=1, max_length=100, description="who acts (staff id)")]
IdempotencyHeader = Annotated[str | None, Header(
    alias=HEADER, description="a retry with the same key gets the first answer and changes nothing")]
IfMatchHeader = Annotated[str | None, Header(
    alias="If-Match", description="the profile version (ETag) the change is based on; 409 if it moved on")]

_STATUS = {PersonNotFound: 404, DuplicatePerson: 409, InvalidField: 422, NotEligible: 422, IdempotencyKeyReused: 422}


def caller(request: Request, actor: str, if_match: str | None = None) -> Caller:
    """The caller of a command, from the X-Actor header, the correlation id and If-Match."""
    return Caller(actor, request.state.correlation_id, _version(if_match))


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidField("If-Match", "version_number", 'must be a profile version such as "3" (the ETag of GET)')
    return int(text)


def today(request: Request) -> date:
    """Today in the service's clock (overridable in create_app for tests)."""
    return request.app.state.today()


async def run_command(
    request: Request, key: str | None, body: Any, work: Callable[[Unit], Awaitable[Answer]]
) -> JSONResponse:
    """Run `work` in one transaction; with an Idempotency-Key, store its answer in that transaction or replay it."""
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as con, con.transaction():
        if key is not None:
            request_print = fingerprint(request.method, request.url.path, body)
            if (first := await claim_or_replay(con, check_key(key), request_print)) is not None:
                return JSONResponse(first.body, first.status, headers={**_etag(first.body), "Idempotent-Replayed": "true"})
        answer = await work(Unit(con, runtime.store))
        if key is not None:
            await remember(con, key, answer)
    return JSONResponse(answer.body, answer.status, headers=_etag(answer.body))


def _etag(body: dict) -> dict[str, str]:
    return {"ETag": f'"{body["version"]}"'} if "version" in body else {}


async def intake_error(_request: Request, exc: IntakeError) -> JSONResponse:
    """A domain refusal as a 4xx naming the field and the rule."""
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 409)
    return JSONResponse(error_body(exc.detail, exc.problems, existing_id=getattr(exc, "existing_id", None)), status)


def install_error_answers(app: FastAPI) -> None:
    """Map intake's domain errors to HTTP answers."""
    app.add_exception_handler(IntakeError, intake_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such person"},
    409: {"model": ErrorBody, "description": "duplicate e-mail (with existing_id), withdrawn person, or a concurrent change"},
    422: {"model": ErrorBody, "description": "a field breaks a rule; every broken rule is listed with its field"},
}
