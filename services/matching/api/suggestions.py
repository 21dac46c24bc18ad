"""Suggestion routes: for one mentee the best mentors, for one mentor the best mentees, each with the score,
its terms and the reasons a coordinator reads."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.matching.api.views import MenteeSuggestions, OfficeBoard, Suggestion, Suggestions
from services.matching.domain.config import CURRENT
from services.matching.domain.offices import offices_in
from services.matching.domain.scoring import PairScore, suggest_mentees, suggest_mentors
from services.matching.service import MatchingUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.errors import NotFound, OutsideOffices
from shared.commanding.http import caller_of, reading
from shared.tenancy import OFFICES, Tenant

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
Limit = Annotated[int, Query(ge=1, le=50, description="how many counterparts")]
# A board lists more a mentee: a coordinator (or a client choosing by rules of its own) can see every free mentor of
# a large office at once, where a cut at 50 would fall among mentors of equal score in the order of their ids.
BoardLimit = Annotated[int, Query(ge=1, le=500, description="how many mentors for each mentee")]
router = APIRouter(prefix="/suggestions", tags=["suggestions"])


def _area(tenant: Tenant, office: str) -> list[str]:
    """The offices a counterpart may come from: the person's own, or its province's when the option is on."""
    province = OFFICES[office][2]
    if CURRENT.allow_same_province and province:
        return offices_in(tenant, None, province)
    return [office]


def _item(person_id: uuid.UUID, score: PairScore) -> Suggestion:
    return Suggestion(
        person_id=person_id,
        score=score.total,
        terms=score.terms,
        reasons=list(score.reasons),
        feasible=score.feasible,
        refusals=list(score.refusals),
    )


@router.get("/mentees/{mentee_id}", openapi_extra=roles_doc(Role.COORDINATOR), response_model=Suggestions)
async def mentors_for(mentee_id: uuid.UUID, request: Request, identity: Coordinator, limit: Limit = 5) -> Suggestions:
    """The best mentors for a waiting mentee, best first, with each term of the score and the reasons."""
    who = caller_of(request, identity)
    unit: MatchingUnit[Any]
    async with reading(request) as unit:
        mentee = await unit.pool.mentee(who.tenant, mentee_id)
        if mentee is None or not who.may_reach(mentee.candidate.office):
            raise NotFound("mentee")
        area = _area(who.tenant, mentee.candidate.office)
        mentors, declined = await unit.pool.available_mentors_for(who.tenant, area, mentee_id)
    found = suggest_mentors(mentee.candidate, [m.candidate for m in mentors], CURRENT, who.today, declined, limit)
    return Suggestions(config_version=CURRENT.version, items=[_item(s.mentor_id, s.score) for s in found])


@router.get("/mentors/{mentor_id}", openapi_extra=roles_doc(Role.COORDINATOR), response_model=Suggestions)
async def mentees_for(mentor_id: uuid.UUID, request: Request, identity: Coordinator, limit: Limit = 5) -> Suggestions:
    """The best waiting mentees for a mentor, best first (of two equal fits, the one who waited longer)."""
    who = caller_of(request, identity)
    unit: MatchingUnit[Any]
    async with reading(request) as unit:
        mentor = await unit.pool.mentor(who.tenant, mentor_id)
        if mentor is None or not who.may_reach(mentor.candidate.office):
            raise NotFound("mentor")
        mentees = await unit.pool.waiting_mentees(who.tenant, _area(who.tenant, mentor.candidate.office))
        declined = await unit.pool.declined_among([m.candidate.mentee_id for m in mentees])
    found = suggest_mentees(mentor.candidate, [m.candidate for m in mentees], CURRENT, who.today, declined, limit)
    return Suggestions(config_version=CURRENT.version, items=[_item(s.mentee_id, s.score) for s in found])


@router.get("/offices/{office}", openapi_extra=roles_doc(Role.COORDINATOR), response_model=OfficeBoard)
async def office_board(office: str, request: Request, identity: Coordinator, limit: BoardLimit = 5) -> OfficeBoard:
    """Every waiting mentee of the office, the longest waiting first, each with the best mentors for them (as
    `/suggestions/mentees/{id}` gives them): a coordinator's matching board in one read instead of one a mentee.
    Another branch's office is not found; an office outside the token's offices is forbidden."""
    who = caller_of(request, identity)
    if office not in OFFICES or OFFICES[office][0] != who.tenant.value:
        raise NotFound("office")
    if not who.may_reach(office):
        raise OutsideOffices(office)
    unit: MatchingUnit[Any]
    async with reading(request) as unit:
        mentees = await unit.pool.waiting_mentees(who.tenant, [office])
        mentors = await unit.pool.available_mentors(who.tenant, _area(who.tenant, office))
        declined = await unit.pool.declined_among([m.candidate.mentee_id for m in mentees])
    candidates = [m.candidate for m in mentors]
    board = [
        MenteeSuggestions(
            mentee_id=mentee.mentee_id,
            registered_on=mentee.registered_on,
            items=[
                _item(s.mentor_id, s.score)
                for s in suggest_mentors(mentee, candidates, CURRENT, who.today, declined, limit)
            ],
        )
        for mentee in sorted((m.candidate for m in mentees), key=lambda c: (c.registered_on, c.mentee_id))
    ]
    return OfficeBoard(config_version=CURRENT.version, office=office, mentees=board)
