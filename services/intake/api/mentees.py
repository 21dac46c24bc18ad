"""Mentee routes: thin, each turns a request into one command or one read, in the caller's branch."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.intake import service
from services.intake.adapters.people import PeopleQuery
from services.intake.api.bodies import (
    InformationSession,
    IntakeInterview,
    MenteeApplication,
    MenteeChange,
    MenteeWithdrawal,
    Rejoin,
)
from services.intake.api.documented import MENTEE_VIEW, PAGE, PERSONAL, documented, one
from services.intake.api.examples import (
    INFORMATION_SESSION_EXAMPLES,
    INTAKE_INTERVIEW_EXAMPLES,
    MENTEE_BODY_EXAMPLES,
    MENTEE_CHANGE_EXAMPLES,
    REJOIN_EXAMPLES,
    WITHDRAWAL_EXAMPLES,
)
from services.intake.api.fields import NaceCode, Office
from services.intake.api.listing import Limit, Offset, branch_of, list_page
from services.intake.api.person_answers import changed, profile, register
from services.intake.api.views import MenteeProfile, MenteeView, PersonPage
from services.intake.domain.commands import RejoinMentee
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import (
    IdempotencyHeader,
    IfMatchHeader,
    caller_of,
)

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
router = APIRouter(prefix="/mentees", tags=["mentees"])


@router.post(
    "",
    openapi_extra=COORDINATORS,
    status_code=201,
    response_model=MenteeView,
    responses=documented(201, "registered (MenteeRegistered)", one("registered", MENTEE_VIEW), 409, 422),
)
async def register_mentee(
    body: Annotated[MenteeApplication, Body(openapi_examples=MENTEE_BODY_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Apply as a mentee: 201 when eligible (MenteeRegistered, not yet ready for matching), 422 listing every
    failed rule otherwise (MenteeApplicationRejected, under application_id)."""
    command, who = body.command(), caller_of(request, identity)
    dump = body.model_dump(mode="json")
    return await register(request, who, idempotency_key, dump, command, command.application_id, MenteeView.of)


@router.get(
    "",
    openapi_extra=COORDINATORS,
    response_model=PersonPage,
    responses=documented(200, "a page of mentees", one("a page", PAGE), 422),
)
async def list_mentees(
    request: Request,
    identity: Coordinator,
    office: Annotated[Office, Query()],
    status: Annotated[Literal["registered", "withdrawn"] | None, Query()] = None,
    job_target: Annotated[NaceCode | None, Query(description="NACE section of the job target")] = None,
    ready_for_matching: bool | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PersonPage:
    """Mentees of one office of the caller's branch, oldest registration first, with filters and paging."""
    return await list_page(
        request,
        identity,
        PeopleQuery("mentee", branch_of(identity), office, status, job_target, ready_for_matching, limit, offset),
    )


@router.get(
    "/{mentee_id}",
    openapi_extra=COORDINATORS,
    response_model=MenteeProfile,
    responses=documented(
        200, "the profile, with personal data", one("a profile", MENTEE_VIEW | {"personal": PERSONAL}), 404, 422
    ),
)
async def get_mentee(mentee_id: uuid.UUID, request: Request, identity: Coordinator) -> JSONResponse:
    """A mentee's current profile, folded from their stream, with their personal data; ETag is the version."""
    read = service.mentee_profile
    return await profile(request, identity, mentee_id, read, "read_mentee_profile", MenteeView.of, MenteeProfile)


@router.patch(
    "/{mentee_id}",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "the changed profile (MenteeProfileChanged), or the same one if nothing changed",
        one("changed", MENTEE_VIEW | {"version": 2}),
        404,
        409,
        422,
    ),
)
async def change_mentee(
    mentee_id: uuid.UUID,
    body: Annotated[MenteeChange, Body(openapi_examples=MENTEE_CHANGE_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """Change languages, job target or availability (MenteeProfileChanged); a no-op change appends nothing."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json", exclude_unset=True)
    return await changed(request, who, idempotency_key, dump, body.command(mentee_id), MenteeView.of)


@router.post(
    "/{mentee_id}/withdrawal",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "withdrawn (MenteeWithdrawn)",
        one(
            "withdrawn",
            MENTEE_VIEW
            | {"version": 2, "status": "withdrawn", "ready_for_matching": False, "withdrawal_reason": "found_work"},
        ),
        404,
        409,
        422,
    ),
)
async def withdraw_mentee(
    mentee_id: uuid.UUID,
    body: Annotated[MenteeWithdrawal, Body(openapi_examples=WITHDRAWAL_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee leaves the programme (MenteeWithdrawn). Found work or started a training: `job` or `training`
    is required and recorded first (MenteeOutcomeBeforeDuo)."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json", exclude_none=True)
    return await changed(request, who, idempotency_key, dump, body.command(mentee_id), MenteeView.of)


@router.post(
    "/{mentee_id}/information-session",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "attended (InformationSessionAttended; with a suitable interview already held, MenteeReadyForMatching)",
        one("attended", MENTEE_VIEW | {"version": 2, "information_session_on": "2026-11-27"}),
        404,
        409,
        422,
    ),
)
async def record_information_session(
    mentee_id: uuid.UUID,
    body: Annotated[InformationSession, Body(openapi_examples=INFORMATION_SESSION_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee attended the information session, dated between registration and today; a second one
    changes nothing."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, body.command(mentee_id, who.today), MenteeView.of)


@router.post(
    "/{mentee_id}/intake-interview",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "held (IntakeInterviewHeld; suitable after the information session adds MenteeReadyForMatching)",
        one(
            "ready",
            MENTEE_VIEW | {"version": 4, "ready_for_matching": True, "interview_outcome": "suitable"},
        ),
        404,
        409,
        422,
    ),
)
async def record_intake_interview(
    mentee_id: uuid.UUID,
    body: Annotated[IntakeInterview, Body(openapi_examples=INTAKE_INTERVIEW_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The intake interview was held: suitable, not_now or not_suitable (the last two with a coded reason).
    "Not now" may be followed by another interview; once ready for matching, another is refused (409)."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, body.command(mentee_id, who.today), MenteeView.of)


@router.post(
    "/{mentee_id}/rejoin",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "rejoined on the same id (MenteeRejoined): registered again, the intake interview to be held again",
        one("rejoined", MENTEE_VIEW | {"version": 5, "ready_for_matching": False}),
        404,
        409,
        422,
    ),
)
async def rejoin_mentee(
    mentee_id: uuid.UUID,
    request: Request,
    identity: Coordinator,
    body: Annotated[Rejoin | None, Body(openapi_examples=REJOIN_EXAMPLES)] = None,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A mentee who withdrew comes back on the same id, if eligible under the rules in force on the branch's
    today (422 listing the rules failed; 409 if they have not withdrawn)."""
    who = caller_of(request, identity, if_match)
    return await changed(request, who, idempotency_key, {}, RejoinMentee(mentee_id), MenteeView.of)
