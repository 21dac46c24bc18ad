"""Mentor routes: thin, each turns a request into one command or one read, in the caller's branch."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from services.intake import handlers, profile_handlers
from services.intake.api.change_requests import (
    MentorChange,
    TrainingModuleAttended,
    Withdrawal,
)
from services.intake.api.documented import MENTOR_VIEW, PAGE, PERSONAL, documented, one
from services.intake.api.examples import (
    MENTOR_BODY_EXAMPLES,
    MENTOR_CHANGE_EXAMPLES,
    TRAINING_MODULE_EXAMPLES,
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
from services.intake.api.requests import MentorApplication
from services.intake.api.support import caller, run_command, today
from services.intake.api.views import MentorProfile, MentorView, PersonPage
from services.intake.commands import RecordTrainingModule, Withdraw
from services.intake.handlers import Unit
from services.intake.idempotency import Answer
from services.intake.read_model import PeopleQuery
from services.intake.vault import read_personal_data

router = APIRouter(prefix="/mentors", tags=["mentors"])
_PERSONAL = {k: v for k, v in PERSONAL.items() if k not in ("nationality", "residence_permit", "job_target_occupation")}


def _answer(status: int, state) -> Answer:
    return Answer(status, MentorView.of(state).model_dump(mode="json"))


@router.post("", status_code=201, response_model=MentorView, responses=documented(
    201, "registered, in training (MentorRegistered)", one("registered", MENTOR_VIEW), 409, 422))
async def register_mentor(body: Annotated[MentorApplication, Body(openapi_examples=MENTOR_BODY_EXAMPLES)],
                          request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                          actor: ActorHeader = "coordinator") -> JSONResponse:
    """Register a mentor aged 50 or more (MentorRegistered); matchable once the training is completed."""
    command, who = body.command(), caller(request, actor, tenant)

    async def work(unit: Unit) -> Answer:
        return _answer(201, await handlers.register_mentor(unit, command, who, today(request, tenant)))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.get("", response_model=PersonPage, responses=documented(200, "a page of mentors", one("a page", PAGE), 422))
async def list_mentors(
    request: Request, tenant: TenantHeader, office: Annotated[Office, Query()],
    status: Annotated[Literal["in_training", "ready", "withdrawn"] | None, Query()] = None,
    sector: Annotated[NaceCode | None, Query(description="NACE section of experience")] = None,
    ready_for_matching: bool | None = None, limit: Limit = 20, offset: Offset = 0,
) -> PersonPage:
    """Mentors of one office of the caller's branch, oldest registration first, with filters and paging."""
    return await list_page(request, PeopleQuery("mentor", tenant, office, status, sector, ready_for_matching, limit, offset))


@router.get("/{mentor_id}", response_model=MentorProfile, responses=documented(
    200, "the profile, with personal data", one("a profile", MENTOR_VIEW | {"personal": _PERSONAL}), 404, 422))
async def get_mentor(mentor_id: uuid.UUID, request: Request, tenant: TenantHeader) -> JSONResponse:
    """A mentor's current profile, folded from their stream, with their personal data; ETag is the version."""
    async with request.app.state.runtime.pool.acquire() as con:
        state = await handlers.load_mentor(con, mentor_id, tenant)
        personal = await read_personal_data(con, mentor_id, tenant)
    profile = MentorProfile(**MentorView.of(state).model_dump(), personal=personal)
    return JSONResponse(profile.model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.patch("/{mentor_id}", response_model=MentorView, responses=documented(
    200, "the changed profile (MentorProfileChanged), or the same one if nothing changed",
    one("changed", MENTOR_VIEW | {"version": 2, "capacity": 2}), 404, 409, 422))
async def change_mentor(mentor_id: uuid.UUID, body: Annotated[MentorChange, Body(openapi_examples=MENTOR_CHANGE_EXAMPLES)],
                        request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                        if_match: IfMatchHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """Change languages, experience, availability or capacity (MentorProfileChanged)."""
    who = caller(request, actor, tenant, if_match)

    async def work(unit: Unit) -> Answer:
        return _answer(200, await profile_handlers.change_mentor(unit, body.command(mentor_id), who))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json", exclude_unset=True), work)


@router.post("/{mentor_id}/training-modules", response_model=MentorView, responses=documented(
    200, "the module recorded (MentorTrainingModuleCompleted; the eighth adds MentorTrainingCompleted)",
    one("one module done", MENTOR_VIEW | {"version": 2, "training_modules_completed": ["active_listening"]}),
    404, 409, 422))
async def record_training_module(
    mentor_id: uuid.UUID, body: Annotated[TrainingModuleAttended, Body(openapi_examples=TRAINING_MODULE_EXAMPLES)],
    request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None, if_match: IfMatchHeader = None,
    actor: ActorHeader = "coordinator",
) -> JSONResponse:
    """Record a completed module, dated between registration and today; a repeated module changes nothing."""
    who, day = caller(request, actor, tenant, if_match), today(request, tenant)
    command = RecordTrainingModule(mentor_id, body.module, body.completed_on or day)

    async def work(unit: Unit) -> Answer:
        return _answer(200, await profile_handlers.record_training_module(unit, command, who, day))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.post("/{mentor_id}/withdrawal", response_model=MentorView, responses=documented(
    200, "withdrawn (MentorWithdrawn)", one("withdrawn", MENTOR_VIEW | {
        "version": 2, "status": "withdrawn", "withdrawal_reason": "health"}), 404, 409, 422))
async def withdraw_mentor(mentor_id: uuid.UUID, body: Annotated[Withdrawal, Body(openapi_examples=WITHDRAWAL_EXAMPLES)],
                          request: Request, tenant: TenantHeader, idempotency_key: IdempotencyHeader = None,
                          if_match: IfMatchHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """The mentor leaves the programme (MentorWithdrawn)."""
    who = caller(request, actor, tenant, if_match)

    async def work(unit: Unit) -> Answer:
        return _answer(200, await profile_handlers.withdraw_mentor(unit, Withdraw(mentor_id, body.reason), who))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)
