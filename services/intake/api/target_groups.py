"""A mentee's target-group facts (NEET, long-term unemployed, time since the last job): recorded with the mentee's
consent, forgotten when it is withdrawn. Reporting counts them; no answer to a funder names a person."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from services.intake.api.bodies import TargetGroup
from services.intake.api.documented import MENTEE_VIEW, documented, one
from services.intake.api.examples import TARGET_GROUP_EXAMPLES
from services.intake.api.person_answers import changed
from services.intake.api.views import MenteeView
from services.intake.domain.commands import WithdrawTargetGroupConsent
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import IdempotencyHeader, IfMatchHeader, caller_of

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
router = APIRouter(prefix="/mentees", tags=["mentees"])
RECORDED = {"neet": True, "long_term_unemployed": False, "time_since_last_job": "6_to_12_months"}


@router.put(
    "/{mentee_id}/target-group",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "recorded (MenteeTargetGroupRecorded, when the facts changed)",
        one("recorded", MENTEE_VIEW | {"version": 2, "target_group": RECORDED}),
        404,
        409,
        422,
    ),
)
async def record_target_group(
    mentee_id: uuid.UUID,
    body: Annotated[TargetGroup, Body(openapi_examples=TARGET_GROUP_EXAMPLES)],
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee's target-group facts, with their consent (`consent`: false is refused naming it, and nothing is
    recorded: the figures count the mentee as unknown). Long-term unemployed needs a last job 12 months ago or more
    (or none)."""
    who, dump = caller_of(request, identity, if_match), body.model_dump(mode="json")
    return await changed(request, who, idempotency_key, dump, body.command(mentee_id), MenteeView.of)


@router.delete(
    "/{mentee_id}/target-group",
    openapi_extra=COORDINATORS,
    response_model=MenteeView,
    responses=documented(
        200,
        "the consent withdrawn: the facts are unknown again (MenteeTargetGroupConsentWithdrawn)",
        one("withdrawn", MENTEE_VIEW | {"version": 3}),
        404,
        409,
        422,
    ),
)
async def withdraw_target_group_consent(
    mentee_id: uuid.UUID,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee withdrew their consent to the target-group facts: from now on they count as unknown. Also after
    the mentee left; nothing recorded when no facts are."""
    who = caller_of(request, identity, if_match)
    return await changed(request, who, idempotency_key, {}, WithdrawTargetGroupConsent(mentee_id), MenteeView.of)
