"""Erasure routes (GDPR art. 17), for the branch admin: a person's personal data removed wherever intake keeps it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from services.intake import service
from services.intake.api.bodies import Erasure
from services.intake.api.documented import MENTEE_VIEW, MENTOR_VIEW, documented, one
from services.intake.api.examples import ERASURE_EXAMPLES
from services.intake.api.views import MenteeView, MentorView
from services.intake.domain.commands import EraseMentee, EraseMentor
from services.intake.service import IntakeUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import IdempotencyHeader, caller_of, run_command
from shared.commanding.idempotency import Answer

BranchAdmin = Annotated[Identity, Depends(authorize(Role.BRANCH_ADMIN))]
router = APIRouter(tags=["erasure"])
_ERASED = {"version": 2, "status": "erased", "ready_for_matching": False}


async def _erase(
    request: Request,
    identity: Identity,
    key: str | None,
    body: Annotated[Erasure, Body(openapi_examples=ERASURE_EXAMPLES)],
    command,
    view,
) -> JSONResponse:
    who = caller_of(request, identity)

    async def work(unit: IntakeUnit) -> Answer:
        return Answer(200, view.of(await service.execute(unit, command, who)).model_dump(mode="json"))

    return await run_command(request, who, key, body.model_dump(mode="json"), work)


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
    return await _erase(request, identity, idempotency_key, body, EraseMentee(mentee_id, body.reason), MenteeView)


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
    return await _erase(request, identity, idempotency_key, body, EraseMentor(mentor_id, body.reason), MentorView)
