"""Mentee routes: thin, each turns a request into one command or one read."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.intake import handlers
from services.intake.api.fields import NaceCode, Office
from services.intake.api.requests import MenteeApplication, MenteeChange, Withdrawal
from services.intake.api.support import (
    ERROR_RESPONSES,
    ActorHeader,
    IdempotencyHeader,
    IfMatchHeader,
    caller,
    run_command,
    today,
)
from services.intake.api.views import (
    ErrorBody,
    MenteeProfile,
    MenteeView,
    PersonPage,
    error_body,
)
from services.intake.commands import Withdraw
from services.intake.handlers import Unit
from services.intake.idempotency import Answer
from services.intake.read_model import PeopleQuery, list_people
from services.intake.vault import read_personal_data

router = APIRouter(prefix="/mentees", tags=["mentees"])


@router.post("", status_code=201, response_model=MenteeView, responses={
    **ERROR_RESPONSES, 422: {"model": ErrorBody, "description": "invalid, or not eligible: every failed rule is "
                             "listed and the refused application is recorded under application_id"}})
async def register_mentee(body: MenteeApplication, request: Request, idempotency_key: IdempotencyHeader = None,
                          actor: ActorHeader = "coordinator") -> JSONResponse:
    """Apply as a mentee: 201 when eligible (MenteeRegistered), 422 listing every failed rule otherwise."""
    command = body.command()

    async def work(unit: Unit) -> Answer:
        outcome = await handlers.register_mentee(unit, command, caller(request, actor), today(request))
        if outcome.refused:
            return Answer(422, error_body("not eligible", outcome.refused, application_id=command.application_id))
        return Answer(201, MenteeView.of(outcome.mentee).model_dump(mode="json"))

    return await run_command(request, idempotency_key, body.model_dump(mode="json"), work)


@router.get("", response_model=PersonPage, responses=ERROR_RESPONSES)
async def list_mentees(
    request: Request, office: Annotated[Office, Query()],
    status: Annotated[Literal["registered", "withdrawn"] | None, Query()] = None,
    job_target: Annotated[NaceCode | None, Query(description="NACE section of the job target")] = None,
    ready_for_matching: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0)] = 0,
) -> PersonPage:
    """Mentees of one office, oldest registration first, with filters and paging."""
    async with request.app.state.runtime.pool.acquire() as con:
        rows, total = await list_people(con, PeopleQuery("mentee", office, status, job_target, ready_for_matching, limit, offset))
    return PersonPage(items=rows, total=total, limit=limit, offset=offset,
                      next_offset=offset + limit if offset + limit < total else None)


@router.get("/{mentee_id}", response_model=MenteeProfile, responses=ERROR_RESPONSES)
async def get_mentee(mentee_id: uuid.UUID, request: Request) -> JSONResponse:
    """A mentee's current profile, folded from their stream, with their personal data; ETag is the version."""
    async with request.app.state.runtime.pool.acquire() as con:
        state = await handlers.load_mentee(con, mentee_id)
        personal = await read_personal_data(con, mentee_id)
    profile = MenteeProfile(**MenteeView.of(state).model_dump(), personal=personal)
    return JSONResponse(profile.model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.patch("/{mentee_id}", response_model=MenteeView, responses=ERROR_RESPONSES)
async def change_mentee(mentee_id: uuid.UUID, body: MenteeChange, request: Request,
                        idempotency_key: IdempotencyHeader = None, if_match: IfMatchHeader = None,
                        actor: ActorHeader = "coordinator") -> JSONResponse:
    """Change languages, job target or availability (MenteeProfileChanged); a no-op change appends nothing."""
    async def work(unit: Unit) -> Answer:
        state = await handlers.change_mentee(unit, body.command(mentee_id), caller(request, actor, if_match))
        return Answer(200, MenteeView.of(state).model_dump(mode="json"))

    return await run_command(request, idempotency_key, body.model_dump(mode="json", exclude_unset=True), work)


@router.post("/{mentee_id}/withdrawal", response_model=MenteeView, responses=ERROR_RESPONSES)
async def withdraw_mentee(mentee_id: uuid.UUID, body: Withdrawal, request: Request,
                          idempotency_key: IdempotencyHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """The mentee leaves the programme (MenteeWithdrawn)."""
    async def work(unit: Unit) -> Answer:
        state = await handlers.withdraw_mentee(unit, Withdraw(mentee_id, body.reason), caller(request, actor))
        return Answer(200, MenteeView.of(state).model_dump(mode="json"))

    return await run_command(request, idempotency_key, body.model_dump(mode="json"), work)
