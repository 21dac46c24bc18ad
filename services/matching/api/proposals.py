"""Proposal routes: a round, one proposal, the first meeting, the answers, and reading proposals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.matching import service
from services.matching.adapters.proposals import list_proposals
from services.matching.api.bodies import FirstMeeting, ProposalAnswer, ProposalRequest, RoundRequest
from services.matching.api.views import ProposalView, RoundView
from services.matching.domain.commands import (
    AnswerProposal,
    HoldFirstMeeting,
    ProposeMatch,
    RunRound,
    ScheduleFirstMeeting,
)
from services.matching.domain.proposal import PROPOSAL, ProposalState
from services.matching.service import MatchingUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.errors import InvalidField, OutsideOffices
from shared.commanding.http import IdempotencyHeader, IfMatchHeader, caller_of, reading, run_command
from shared.commanding.idempotency import Answer
from shared.commanding.unit import load_existing
from shared.tenancy import OFFICES

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
router = APIRouter(tags=["proposals"])


def _proposal(status: int, state: ProposalState) -> Answer:
    return Answer(status, ProposalView.of(state).model_dump(mode="json"))


def _require_own_office(identity: Identity, office: str) -> None:
    if OFFICES[office][0] != identity.branch:
        raise InvalidField(
            "office", "office_of_branch", f"office {office} is not an office of the {identity.branch} branch"
        )
    if not identity.may_reach_office(office):
        raise OutsideOffices(office)


@router.post("/rounds", status_code=201, openapi_extra=COORDINATORS, response_model=RoundView)
async def run_round(
    body: RoundRequest, request: Request, identity: Coordinator, idempotency_key: IdempotencyHeader = None
) -> JSONResponse:
    """Match the whole waiting pool of an office (or a province) at once, for the best total score; each pair
    becomes a proposal (MatchProposed) with its score, terms and the configuration version."""
    if body.office:
        _require_own_office(identity, body.office)
    who = caller_of(request, identity)
    command = RunRound(uuid.uuid4(), body.office, body.province)

    async def work(unit: MatchingUnit[Any]) -> Answer:
        outcome = await service.execute(unit, command, who)
        view = RoundView(
            round_id=outcome.round_id,
            config_version=outcome.config_version,
            proposals=[ProposalView.of(p) for p in outcome.proposals],
            unmatched_mentees=outcome.unmatched_mentees,
        )
        return Answer(201, view.model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.post(
    "/proposals",
    status_code=201,
    openapi_extra=COORDINATORS,
    response_model=ProposalView,
    responses={404: {"description": "no such mentee or mentor in the caller's branch (or offices)"}},
)
async def propose(
    body: ProposalRequest, request: Request, identity: Coordinator, idempotency_key: IdempotencyHeader = None
) -> JSONResponse:
    """Propose one pair (MatchProposed); 409 when either is no longer free or a hard rule forbids the pair."""
    who = caller_of(request, identity)
    command = ProposeMatch(uuid.uuid4(), body.mentee_id, body.mentor_id)

    async def work(unit: MatchingUnit[Any]) -> Answer:
        return _proposal(201, await service.execute(unit, command, who))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.get("/proposals", openapi_extra=COORDINATORS, response_model=list[ProposalView])
async def proposals(
    request: Request,
    identity: Coordinator,
    office: Annotated[str, Query(examples=["be-antwerpen"])],
    status: Literal["open", "declined", "expired", "formed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Proposals at an office of the caller's branch, newest first."""
    if office not in OFFICES:
        raise InvalidField("office", "known_office", f"unknown office {office}")
    _require_own_office(identity, office)
    assert identity.branch is not None
    async with reading(request) as unit:
        return await list_proposals(unit.tx, identity.branch, [office], status, limit, offset)


@router.get("/proposals/{proposal_id}", openapi_extra=COORDINATORS, response_model=ProposalView)
async def get_proposal(proposal_id: uuid.UUID, request: Request, identity: Coordinator) -> JSONResponse:
    """One proposal as it stands; ETag is its version."""
    async with reading(request) as unit:
        state = await load_existing(unit, PROPOSAL, proposal_id, caller_of(request, identity))
    return JSONResponse(ProposalView.of(state).model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.post("/proposals/{proposal_id}/first-meeting", openapi_extra=COORDINATORS, response_model=ProposalView)
async def first_meeting(
    proposal_id: uuid.UUID,
    body: FirstMeeting,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """Set the day of the first meeting (FirstMeetingScheduled); answers come after it, each on its own
    (`/answers`) or, once the meeting took place, with it (`answers`: MatchAccepted / MatchDeclined, DuoFormed after
    the second yes), all or none."""
    body.answers_in_order()
    who = caller_of(request, identity, if_match)
    answers = tuple(AnswerProposal(proposal_id, a.side, a.answer == "accept", a.reason) for a in body.answers)
    command: ScheduleFirstMeeting | HoldFirstMeeting = (
        HoldFirstMeeting(proposal_id, body.meeting_on, answers)
        if answers
        else ScheduleFirstMeeting(proposal_id, body.meeting_on)
    )

    async def work(unit: MatchingUnit[Any]) -> Answer:
        return _proposal(200, await service.execute(unit, command, who))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.post("/proposals/{proposal_id}/answers", openapi_extra=COORDINATORS, response_model=ProposalView)
async def answer(
    proposal_id: uuid.UUID,
    body: ProposalAnswer,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """One side accepts or declines after the first meeting (MatchAccepted / MatchDeclined); the second
    acceptance forms the duo (DuoFormed); a declined pair is never proposed again."""
    who = caller_of(request, identity, if_match)
    command = AnswerProposal(proposal_id, body.side, body.answer == "accept", body.reason)

    async def work(unit: MatchingUnit[Any]) -> Answer:
        return _proposal(200, await service.execute(unit, command, who))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)
