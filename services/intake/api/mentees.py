"""Mentee routes: thin, each turns a request into one command or one read, in the caller's branch."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from services.intake import handlers, profile_handlers
from services.intake.api.change_requests import MenteeChange, Withdrawal
from services.intake.api.documented import MENTEE_VIEW, PAGE, PERSONAL, documented, one
from services.intake.api.error_body import error_body
from services.intake.api.examples import (
    MENTEE_BODY_EXAMPLES,
    MENTEE_CHANGE_EXAMPLES,
    WITHDRAWAL_EXAMPLES,
)
from services.intake.api.fields import NaceCode, Office
from services.intake.api.headers import (
    ActorHeader,
    IdempotencyHeader,
    IfMatchHeader,
    TenantHeader,
)
from services.intake.api.listing import Limit, Offset, list_page
from services.intake.api.requests import MenteeApplication
from services.intake.api.support import caller, run_command, today
from services.intake.api.views import MenteeProfile, MenteeView, PersonPage
from services.intake.commands import Withdraw
from services.intake.handlers import Unit
from services.intake.idempotency import Answer
from services.intake.read_model import PeopleQuery
from services.intake.vault import read_personal_data

router = APIRouter(prefix="/mentees", tags=["mentees"])


@router.post("", status_code=201, response_model=MenteeView, responses=documented(
    201, "registered (MenteeRegistered)", one("registered", MENTEE_VIEW), 409, 422))
async def register_mentee(body: Annotated[MenteeApplication, Body(openapi_examples=MENTEE_BODY_EXAMPLES)],
                          request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                          actor: ActorHeader = "coordinator") -> JSONResponse:
    """Apply as a mentee: 201 when eligible (MenteeRegistered), 422 listing every failed rule otherwise."""
    command, who = body.command(), caller(request, actor, tenant)

    async def work(unit: Unit) -> Answer:
        outcome = await handlers.register_mentee(unit, command, who, today(request, tenant))
        if outcome.refused:
            return Answer(422, error_body("not eligible", outcome.refused, application_id=command.application_id))
        return Answer(201, MenteeView.of(outcome.mentee).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.get("", response_model=PersonPage, responses=documented(200, "a page of mentees", one("a page", PAGE), 422))
async def list_mentees(
    request: Request, tenant: TenantHeader, office: Annotated[Office, Query()],
    status: Annotated[Literal["registered", "withdrawn"] | None, Query()] = None,
    job_target: Annotated[NaceCode | None, Query(description="NACE section of the job target")] = None,
    ready_for_matching: bool | None = None, limit: Limit = 20, offset: Offset = 0,
) -> PersonPage:
    """Mentees of one office of the caller's branch, oldest registration first, with filters and paging."""
    return await list_page(request, PeopleQuery("mentee", tenant, office, status, job_target, ready_for_matching, limit, offset))


@router.get("/{mentee_id}", response_model=MenteeProfile, responses=documented(
    200, "the profile, with personal data", one("a profile", MENTEE_VIEW | {"personal": PERSONAL}), 404, 422))
async def get_mentee(mentee_id: uuid.UUID, request: Request, tenant: TenantHeader) -> JSONResponse:
    """A mentee's current profile, folded from their stream, with their personal data; ETag is the version."""
    async with request.app.state.runtime.pool.acquire() as con:
        state = await handlers.load_mentee(con, mentee_id, tenant)
        personal = await read_personal_data(con, mentee_id, tenant)
    profile = MenteeProfile(**MenteeView.of(state).model_dump(), personal=personal)
    return JSONResponse(profile.model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.patch("/{mentee_id}", response_model=MenteeView, responses=documented(
    200, "the changed profile (MenteeProfileChanged), or the same one if nothing changed",
    one("changed", MENTEE_VIEW | {"version": 2}), 404, 409, 422))
async def change_mentee(mentee_id: uuid.UUID, body: Annotated[MenteeChange, Body(openapi_examples=MENTEE_CHANGE_EXAMPLES)],
                        request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                        if_match: IfMatchHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """Change languages, job target or availability (MenteeProfileChanged); a no-op change appends nothing."""
    who = caller(request, actor, tenant, if_match)

    async def work(unit: Unit) -> Answer:
        state = await profile_handlers.change_mentee(unit, body.command(mentee_id), who)
        return Answer(200, MenteeView.of(state).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json", exclude_unset=True), work)


@router.post("/{mentee_id}/withdrawal", response_model=MenteeView, responses=documented(
    200, "withdrawn (MenteeWithdrawn)", one("withdrawn", MENTEE_VIEW | {
        "version": 2, "status": "withdrawn", "ready_for_matching": False, "withdrawal_reason": "found_work"}),
    404, 409, 422))
async def withdraw_mentee(mentee_id: uuid.UUID, body: Annotated[Withdrawal, Body(openapi_examples=WITHDRAWAL_EXAMPLES)],
                          request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                          if_match: IfMatchHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """The mentee leaves the programme (MenteeWithdrawn)."""
    who = caller(request, actor, tenant, if_match)

    async def work(unit: Unit) -> Answer:
        state = await profile_handlers.withdraw_mentee(unit, Withdraw(mentee_id, body.reason), who)
        return Answer(200, MenteeView.of(state).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)
