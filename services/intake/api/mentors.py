"""Mentor routes: thin, each turns a request into one command or one read."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.intake import handlers
from services.intake.api.fields import NaceCode, Office
from services.intake.api.requests import (
    MentorApplication,
    MentorChange,
    TrainingModuleAttended,
    Withdrawal,
)
from services.intake.api.support import (
    ERROR_RESPONSES,
    ActorHeader,
    IdempotencyHeader,
    IfMatchHeader,
    caller,
    run_command,
    today,
)
from services.intake.api.views import MentorProfile, MentorView, PersonPage
from services.intake.commands import RecordTrainingModule, Withdraw
from services.intake.handlers import Unit
from services.intake.idempotency import Answer
from services.intake.read_model import PeopleQuery, list_people
from services.intake.vault import read_personal_data

router = APIRouter(prefix="/mentors", tags=["mentors"])


def _answer(status: int, state) -> Answer:
    return Answer(status, MentorView.of(state).model_dump(mode="json"))


@router.post("", status_code=201, response_model=MentorView, responses=ERROR_RESPONSES)
async def register_mentor(body: MentorApplication, request: Request, idempotency_key: IdempotencyHeader = None,
                          actor: ActorHeader = "coordinator") -> JSONResponse:
    """Register a mentor aged 50 or more (MentorRegistered); matchable once the training is completed."""
    async def work(unit: Unit) -> Answer:
        return _answer(201, await handlers.register_mentor(unit, body.command(), caller(request, actor), today(request)))

    return await run_command(request, idempotency_key, body.model_dump(mode="json"), work)


@router.get("", response_model=PersonPage, responses=ERROR_RESPONSES)
async def list_mentors(
    request: Request, office: Annotated[Office, Query()],
    status: Annotated[Literal["in_training", "ready", "withdrawn"] | None, Query()] = None,
    sector: Annotated[NaceCode | None, Query(description="NACE section of experience")] = None,
    ready_for_matching: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0)] = 0,
) -> PersonPage:
    """Mentors of one office, oldest registration first, with filters and paging."""
    async with request.app.state.runtime.pool.acquire() as con:
        rows, total = await list_people(con, PeopleQuery("mentor", office, status, sector, ready_for_matching, limit, offset))
    return PersonPage(items=rows, total=total, limit=limit, offset=offset,
                      next_offset=offset + limit if offset + limit < total else None)


@router.get("/{mentor_id}", response_model=MentorProfile, responses=ERROR_RESPONSES)
async def get_mentor(mentor_id: uuid.UUID, request: Request) -> JSONResponse:
    """A mentor's current profile, folded from their stream, with their personal data; ETag is the version."""
    async with request.app.state.runtime.pool.acquire() as con:
        state = await handlers.load_mentor(con, mentor_id)
        personal = await read_personal_data(con, mentor_id)
    profile = MentorProfile(**MentorView.of(state).model_dump(), personal=personal)
    return JSONResponse(profile.model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.patch("/{mentor_id}", response_model=MentorView, responses=ERROR_RESPONSES)
async def change_mentor(mentor_id: uuid.UUID, body: MentorChange, request: Request,
                        idempotency_key: IdempotencyHeader = None, if_match: IfMatchHeader = None,
                        actor: ActorHeader = "coordinator") -> JSONResponse:
    """Change languages, experience, availability or capacity (MentorProfileChanged)."""
    async def work(unit: Unit) -> Answer:
        return _answer(200, await handlers.change_mentor(unit, body.command(mentor_id), caller(request, actor, if_match)))

    return await run_command(request, idempotency_key, body.model_dump(mode="json", exclude_unset=True), work)


@router.post("/{mentor_id}/training-modules", response_model=MentorView, responses=ERROR_RESPONSES)
async def record_training_module(mentor_id: uuid.UUID, body: TrainingModuleAttended, request: Request,
                                 idempotency_key: IdempotencyHeader = None,
                                 actor: ActorHeader = "coordinator") -> JSONResponse:
    """Record a completed module; the eighth also appends MentorTrainingCompleted. A repeated module changes nothing."""
    command = RecordTrainingModule(mentor_id, body.module, body.completed_on or today(request))

    async def work(unit: Unit) -> Answer:
        return _answer(200, await handlers.record_training_module(unit, command, caller(request, actor)))

    return await run_command(request, idempotency_key, body.model_dump(mode="json"), work)


@router.post("/{mentor_id}/withdrawal", response_model=MentorView, responses=ERROR_RESPONSES)
async def withdraw_mentor(mentor_id: uuid.UUID, body: Withdrawal, request: Request,
                          idempotency_key: IdempotencyHeader = None, actor: ActorHeader = "coordinator") -> JSONResponse:
    """The mentor leaves the programme (MentorWithdrawn)."""
    async def work(unit: Unit) -> Answer:
        return _answer(200, await handlers.withdraw_mentor(unit, Withdraw(mentor_id, body.reason), caller(request, actor)))

    return await run_command(request, idempotency_key, body.model_dump(mode="json"), work)
