"""Erasure routes (GDPR art. 17), for the branch admin: a person's personal data removed wherever intake keeps it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from services.intake.api.bodies import Erasure
from services.intake.api.documented import MENTEE_VIEW, MENTOR_VIEW, documented, one
from services.intake.api.examples import ERASURE_EXAMPLES
from services.intake.api.person_answers import changed
from services.intake.api.views import MenteeView, MentorView
from services.intake.domain.commands import EraseMentee, EraseMentor
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import IdempotencyHeader, caller_of

BranchAdmin = Annotated[Identity, Depends(authorize(Role.BRANCH_ADMIN))]
router = APIRouter(tags=["erasure"])
_ERASED = {"version": 2, "status": "erased", "ready_for_matching": False}


@router.post(
    "/mentees/{mentee_id}/erasure",
    openapi_extra=roles_doc(Role.BRANCH_ADMIN),
    response_model=MenteeView,
    responses=documented(200, "erased (PersonalDataErased)", one("erased", MENTEE_VIEW | _ERASED), 404, 409, 422),
)
async def erase_mentee(
    mentee_id: uuid.UUID,
    body: Annotated[Erasure, Body(openapi_examples=ERASURE_EXAMPLES)],
    request: Request,
    identity: BranchAdmin,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Erase a mentee's personal data (vault, stored answers); their facts stay, anonymous; figures do not change."""
    who, dump = caller_of(request, identity), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, EraseMentee(mentee_id, body.reason), MenteeView.of)


@router.post(
    "/mentors/{mentor_id}/erasure",
    openapi_extra=roles_doc(Role.BRANCH_ADMIN),
    response_model=MentorView,
    responses=documented(200, "erased (PersonalDataErased)", one("erased", MENTOR_VIEW | _ERASED), 404, 409, 422),
)
async def erase_mentor(
    mentor_id: uuid.UUID,
    body: Annotated[Erasure, Body(openapi_examples=ERASURE_EXAMPLES)],
    request: Request,
    identity: BranchAdmin,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    """Erase a mentor's personal data (vault, stored answers); their facts stay, anonymous; figures do not change."""
    who, dump = caller_of(request, identity), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, EraseMentor(mentor_id, body.reason), MentorView.of)
