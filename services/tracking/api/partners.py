"""Partner routes: registering the branch's partner organisations (public services, local associations,
employers) that duos refer mentees to, and listing them. A coordinator's token; the list is the branch's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.tracking import service
from services.tracking.adapters.partners import list_partners
from services.tracking.api.bodies import NewPartner
from services.tracking.api.views import PartnerView
from services.tracking.domain.partner import RegisterPartner
from services.tracking.service import TrackingUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.http import IdempotencyHeader, caller_of, reading, run_command
from shared.commanding.idempotency import Answer
from shared.events.catalog import PartnerKind

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
router = APIRouter(prefix="/partners", tags=["partners"])


@router.post("", status_code=201, openapi_extra=COORDINATORS, response_model=PartnerView)
async def register_partner(
    body: NewPartner, request: Request, identity: Coordinator, idempotency_key: IdempotencyHeader = None
) -> JSONResponse:
    """An organisation of the branch that duos work with (PartnerRegistered, its id and kind; the name stays in
    tracking). One per name in the branch (409 naming `name`); the office must be one the caller may reach."""
    who = caller_of(request, identity)
    command = RegisterPartner(uuid.uuid4(), body.office, body.kind, body.name)

    async def work(unit: TrackingUnit[Any]) -> Answer:
        partner = await service.execute(unit, command, who)
        view = PartnerView(partner_id=partner.partner_id, office=partner.office, kind=partner.kind, name=partner.name)
        return Answer(201, view.model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.get("", openapi_extra=COORDINATORS, response_model=list[PartnerView])
async def get_partners(
    request: Request,
    identity: Coordinator,
    kind: PartnerKind | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """The branch's partners (of one kind, or all), by name."""
    who = caller_of(request, identity)
    async with reading(request) as unit:
        return await list_partners(unit.tx, who.tenant, kind, limit, offset)
