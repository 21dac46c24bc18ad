"""The HTTP edge of commands: the common headers, the caller, one transaction per command, the 4xx body.

Every service that takes commands uses these, so that every route of the platform
reads the same headers and answers refusals in the same shape.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.auth.identity import Identity
from shared.commanding.caller import Caller
from shared.commanding.errors import CommandRefused, FieldProblem, InvalidField
from shared.commanding.idempotency import (
    HEADER,
    Answer,
    check_key,
    claim_or_replay,
    claim_with_answer,
    fingerprint,
)
from shared.commanding.unit import Unit
from shared.eventstore.base import WrongExpectedVersion

_VERSION = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')
# Without If-Match a change means "apply this to the latest version": losing a race to a
# concurrent change is retried on the new state. Each loser retries after a winner committed,
# so n concurrent changes need at most n attempts; past that it is a 409 like any conflict.
ATTEMPTS = 5


class FieldError(BaseModel):
    """One broken rule."""

    field: str
    rule: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer: a summary, the broken rules, and the ids a client needs to go on."""

    detail: str
    errors: list[FieldError] = []
    existing_id: uuid.UUID | None = None
    existing_kind: str | None = None
    existing_status: str | None = None
    application_id: uuid.UUID | None = None
    stream_id: str | None = None
    current_version: int | None = None


def error_body(detail: str, problems: tuple[FieldProblem, ...] = (), **ids: Any) -> dict[str, Any]:
    """The JSON of an ErrorBody."""
    body: dict[str, Any] = {
        "detail": detail,
        "errors": [{"field": p.field, "rule": p.rule, "message": p.message} for p in problems],
    }
    return body | {k: str(v) for k, v in ids.items() if v is not None}


IdempotencyHeader = Annotated[
    str | None, Header(alias=HEADER, description="a retry with the same key gets the first answer and changes nothing")
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='the version (ETag, such as "3") the change is based on: 409 if it moved on; '
        "`*` for any existing version. Without it, a concurrent change is retried on the latest version.",
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """The version If-Match names; None when absent or `*` (any existing version: the record must exist anyway)."""
    if if_match is None or if_match.strip() == "*":
        return None
    if match := _VERSION.fullmatch(if_match.strip()):
        return int(match.group(1))
    raise InvalidField("If-Match", "version_number", 'must be a version such as "3" (the ETag of GET), or *')


def caller_of(request: Request, identity: Identity, if_match: str | None = None) -> Caller:
    """The caller of a command, all from the verified token (subject, branch, offices) but the correlation id,
    one reading of the app's clock, and If-Match."""
    assert identity.branch is not None, "only a role of one branch takes commands"
    return Caller(
        identity.subject,
        identity.branch,
        request.state.correlation_id,
        request.app.state.clock(),
        expected_version(if_match),
        offices=identity.offices,
    )


Work = Callable[[Any], Awaitable[Answer]]
# Renders a kept answer (ids and version) again as the first answer was, from the record's events.
Replayer = Callable[[Any, Caller, Answer], Awaitable[Answer]]


def ids_only(answer: Answer) -> Answer:
    """What an idempotency record keeps of a success: the ids and the version, nothing about a person.
    A refusal (4xx) is kept whole: its body names fields and rules, never a person's values."""
    if answer.status >= 300:
        return answer
    return Answer(answer.status, {k: v for k, v in answer.body.items() if k.endswith("_id") or k == "version"})


class _KeyTaken(Exception):
    """The Idempotency-Key was claimed by an earlier request (committed meanwhile): this attempt is undone."""


async def run_command(request: Request, who: Caller, key: str | None, body: Any, work: Work) -> JSONResponse:
    """Run `work` on the service's unit of work in one transaction; with an Idempotency-Key, store its answer
    in that transaction or replay the first one. `app.state.open_unit(con, store)` builds the service's unit.

    The key is claimed last, with the answer, in one statement right before the commit (docs/adr/0034): the
    attempt needs no savepoint (a lost race undoes the whole transaction, which holds nothing else) and no second
    statement to store the answer. A retry whose first request committed finds the key taken at that claim (its
    own work is then undone and the first answer replayed) or, if its work was refused or failed meanwhile (the
    first request's effect already there, say), by claiming the key on its own before answering.
    """
    runtime = request.app.state.runtime
    open_unit: Callable[[Any, Any], Unit[Any]] = getattr(request.app.state, "open_unit", Unit)
    keeps_ids_only = getattr(request.app.state, "replay_answer", None) is not None
    request_print: str | None = None
    if key is not None:
        check_key(key)
    attempt = 0
    while True:
        attempt += 1
        try:
            # The store's transaction: the relay hears of the events after the commit (shared/eventstore/wakeup.py).
            async with runtime.store.transaction(undone_on_conflict=True) as con:
                if key is not None and request_print is None:
                    request_print = await _fingerprint(con, request, runtime, who, body)
                answer = await work(open_unit(con, runtime.store))
                if key is not None:
                    assert request_print is not None
                    # A service that can render its answer again from the log keeps only the ids (no personal data
                    # in the idempotency table, ADR 0006); the others keep the answer as it was.
                    kept = ids_only(answer) if keeps_ids_only else answer
                    if not await claim_with_answer(con, who.tenant, key, request_print, kept):
                        raise _KeyTaken()
            return JSONResponse(answer.body, answer.status, headers=_etag(answer.body))
        except WrongExpectedVersion:
            # A lost race, undone whole; without If-Match, decided again on the latest version.
            if who.expected_version is None and attempt < ATTEMPTS:
                continue
            if key is None:
                raise
            if (first := await _first_answer(request, runtime, open_unit, who, key, body, request_print)) is None:
                raise
            return first
        except Exception:
            # Taken, refused or failed: the first request with this key may be why (its effect is there already).
            if key is None:
                raise
            if (first := await _first_answer(request, runtime, open_unit, who, key, body, request_print)) is None:
                raise
            return first


async def _fingerprint(con: Any, request: Request, runtime: Any, who: Caller, body: Any) -> str:
    known = getattr(runtime, "branch_secrets", None)  # one dict per runtime: per database
    return await fingerprint(con, who.tenant, request.method, request.url.path, body, known)


async def _first_answer(
    request: Request,
    runtime: Any,
    open_unit: Callable[[Any, Any], Unit[Any]],
    who: Caller,
    key: str,
    body: Any,
    request_print: str | None,
) -> JSONResponse | None:
    """The first answer to this key, replayed; None when no request with this key committed (the key is left
    unclaimed). Claiming waits for a request still holding the key, as the claim at the start of a command did."""
    async with runtime.pool.acquire() as con:
        probe = con.transaction()
        await probe.start()
        try:
            if request_print is None:
                request_print = await _fingerprint(con, request, runtime, who, body)
            first = await claim_or_replay(con, who.tenant, key, request_print)  # IdempotencyKeyReused: another request
            if first is not None:
                replayer: Replayer | None = getattr(request.app.state, "replay_answer", None)
                if replayer is not None and first.status < 300:
                    first = await replayer(open_unit(con, runtime.store), who, first)
        finally:
            await probe.rollback()  # a claim made here is not kept: the request it stood for was not carried out
    if first is None:
        return None
    return JSONResponse(first.body, first.status, headers={**_etag(first.body), "Idempotent-Replayed": "true"})


def _etag(body: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{body["version"]}"'} if "version" in body else {}


async def refusal_answer(_request: Request, exc: Exception) -> JSONResponse:
    """A domain refusal as a 4xx naming the field and the rule."""
    assert isinstance(exc, CommandRefused)
    return JSONResponse(error_body(exc.detail, exc.problems, **exc.ids), exc.status)


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[Any]:
    """The service's unit of work on a pooled connection, for a read that writes nothing."""
    runtime = request.app.state.runtime
    open_unit: Callable[[Any, Any], Unit[Any]] = getattr(request.app.state, "open_unit", Unit)
    async with runtime.pool.acquire() as con:
        yield open_unit(con, runtime.store)
