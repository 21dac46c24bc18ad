"""Mentor routes: thin, each turns a request into one command or one read, in the caller's branch."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.intake import service
from services.intake.adapters.people import PeopleQuery
from services.intake.api.bodies import (
    MentorApplication,
    MentorChange,
    MentorEmployment,
    Rejoin,
    TrainingModuleAttended,
    TrainingModulesAttended,
    Withdrawal,
)
from services.intake.api.documented import MENTOR_VIEW, PAGE, PERSONAL, documented, one
from services.intake.api.examples import (
    MENTOR_BODY_EXAMPLES,
    MENTOR_CHANGE_EXAMPLES,
    MENTOR_EMPLOYMENT_EXAMPLES,
    REJOIN_EXAMPLES,
    TRAINING_MODULE_EXAMPLES,
    TRAINING_MODULES_EXAMPLES,
    WITHDRAWAL_EXAMPLES,
)
from services.intake.api.fields import NaceCode, Office
from services.intake.api.listing import Limit, Offset, branch_of, list_page
from services.intake.api.person_answers import changed, profile, register
from services.intake.api.views import MentorProfile, MentorView, PersonPage
from services.intake.domain.commands import RecordTrainingModule, RecordTrainingModules, RejoinMentor, WithdrawMentor
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import (
    IdempotencyHeader,
    IfMatchHeader,
    caller_of,
)

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
router = APIRouter(prefix="/mentors", tags=["mentors"])
_NOT_KEPT_FOR_MENTORS = ("nationalities", "stateless", "residence_permit", "job_target_occupation")
_PERSONAL = {k: v for k, v in PERSONAL.items() if k not in _NOT_KEPT_FOR_MENTORS}


@router.post(
    "",
    openapi_extra=COORDINATORS,
    status_code=201,
    response_model=MentorView,
    responses=documented(201, "registered, in training (MentorRegistered)", one("registered", MENTOR_VIEW), 409, 422),
)
async def register_mentor(
    body: Annotated[MentorApplication, Body(openapi_examples=MENTOR_BODY_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Register a mentor aged 50 or more (MentorRegistered); matchable once the training is completed. 422 listing
    every failed rule otherwise (MentorApplicationRejected, under application_id)."""
    command, who = body.command(), caller_of(request, identity)
    dump = body.model_dump(mode="json")
    return await register(request, who, idempotency_key, dump, command, command.application, MentorView.of)


@router.get(
    "",
    openapi_extra=COORDINATORS,
    response_model=PersonPage,
    responses=documented(200, "a page of mentors", one("a page", PAGE), 422),
)
async def list_mentors(
    request: Request,
    identity: Coordinator,
    office: Annotated[Office, Query()],
    status: Annotated[Literal["in_training", "ready", "withdrawn"] | None, Query()] = None,
    sector: Annotated[NaceCode | None, Query(description="NACE section of experience")] = None,
    ready_for_matching: bool | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PersonPage:
    """Mentors of one office of the caller's branch, oldest registration first, with filters and paging."""
    return await list_page(
        request,
        identity,
        PeopleQuery("mentor", branch_of(identity), office, status, sector, ready_for_matching, limit, offset),
    )


@router.get(
    "/{mentor_id}",
    openapi_extra=COORDINATORS,
    response_model=MentorProfile,
    responses=documented(
        200, "the profile, with personal data", one("a profile", MENTOR_VIEW | {"personal": _PERSONAL}), 404, 422
    ),
)
async def get_mentor(mentor_id: uuid.UUID, request: Request, identity: Coordinator) -> JSONResponse:
    """A mentor's current profile, folded from their stream, with their personal data; ETag is the version."""
    read = service.mentor_profile
    return await profile(request, identity, mentor_id, read, "read_mentor_profile", MentorView.of, MentorProfile)


@router.patch(
    "/{mentor_id}",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "the changed profile (MentorProfileChanged), or the same one if nothing changed",
        one("changed", MENTOR_VIEW | {"version": 2, "capacity": 2}),
        404,
        409,
        422,
    ),
)
async def change_mentor(
    mentor_id: uuid.UUID,
    body: Annotated[MentorChange, Body(openapi_examples=MENTOR_CHANGE_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """Change languages, experience, availability or capacity (MentorProfileChanged)."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json", exclude_unset=True)
    return await changed(request, who, idempotency_key, dump, body.command(mentor_id), MentorView.of)


@router.post(
    "/{mentor_id}/training-modules",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "the module recorded (MentorTrainingModuleCompleted; the eighth adds MentorTrainingCompleted)",
        one("one module done", MENTOR_VIEW | {"version": 2, "training_modules_completed": ["active_listening"]}),
        404,
        409,
        422,
    ),
)
async def record_training_module(
    mentor_id: uuid.UUID,
    body: Annotated[TrainingModuleAttended, Body(openapi_examples=TRAINING_MODULE_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """Record a completed module, dated between registration and today; a repeated module changes nothing."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    command = RecordTrainingModule(mentor_id, body.module, body.completed_on or who.today)
    return await changed(request, who, idempotency_key, dump, command, MentorView.of)


@router.post(
    "/{mentor_id}/training-modules/batch",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "the modules recorded (one MentorTrainingModuleCompleted each, MentorTrainingCompleted with the last one)",
        one(
            "two modules done",
            MENTOR_VIEW | {"version": 3, "training_modules_completed": ["active_listening", "code_of_conduct"]},
        ),
        404,
        409,
        422,
    ),
)
async def record_training_modules(
    mentor_id: uuid.UUID,
    body: Annotated[TrainingModulesAttended, Body(openapi_examples=TRAINING_MODULES_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """Record several completed modules at once (a training day), each under the rules of one module; all or none,
    a problem named by its place (`modules.1.completed_on`). One request instead of one per module."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    modules = tuple(RecordTrainingModule(mentor_id, m.module, m.completed_on or who.today) for m in body.modules)
    return await changed(request, who, idempotency_key, dump, RecordTrainingModules(mentor_id, modules), MentorView.of)


@router.put(
    "/{mentor_id}/employment",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "the employment status recorded (MentorEmploymentRecorded, when it changed)",
        one("released", MENTOR_VIEW | {"version": 2, "employment_status": "employed", "employer_released": True}),
        404,
        409,
        422,
    ),
)
async def record_employment(
    mentor_id: uuid.UUID,
    body: Annotated[MentorEmployment, Body(openapi_examples=MENTOR_EMPLOYMENT_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentor's employment status now (MentorEmploymentRecorded, only when it or the release changed):
    reporting counts still-working and employer-released mentors. The employer's name is kept with the mentor's
    personal data (GET /mentors/{id}), never in an event."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, body.command(mentor_id), MentorView.of)


@router.post(
    "/{mentor_id}/withdrawal",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "withdrawn (MentorWithdrawn)",
        one("withdrawn", MENTOR_VIEW | {"version": 2, "status": "withdrawn", "withdrawal_reason": "health"}),
        404,
        409,
        422,
    ),
)
async def withdraw_mentor(
    mentor_id: uuid.UUID,
    body: Annotated[Withdrawal, Body(openapi_examples=WITHDRAWAL_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentor leaves the programme (MentorWithdrawn)."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, WithdrawMentor(mentor_id, body.reason), MentorView.of)


@router.post(
    "/{mentor_id}/rejoin",
    openapi_extra=COORDINATORS,
    response_model=MentorView,
    responses=documented(
        200,
        "rejoined on the same id (MentorRejoined): ready again if trained, else in training",
        one("rejoined", MENTOR_VIEW | {"version": 3}),
        404,
        409,
        422,
    ),
)
async def rejoin_mentor(
    mentor_id: uuid.UUID,
    request: Request,
    identity: Coordinator,
    body: Annotated[Rejoin | None, Body(openapi_examples=REJOIN_EXAMPLES)] = None,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A mentor who withdrew comes back on the same id, if eligible under the rules in force on the branch's
    today (422 listing the rules failed; 409 if they have not withdrawn)."""
    who = caller_of(request, identity, if_match)
    return await changed(request, who, idempotency_key, {}, RejoinMentor(mentor_id), MentorView.of)
