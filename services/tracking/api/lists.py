"""What a coordinator reads across duos: the duos of an office, the inactive ones, the follow-ups due."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.tracking.adapters import duos
from services.tracking.api.views import DueFollowUp, DuoSummary, InactiveDuo
from services.tracking.domain.rules import INACTIVE_AFTER_DAYS
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.errors import InvalidField, OutsideOffices
from shared.commanding.http import caller_of, reading
from shared.tenancy import OFFICES

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
Office = Annotated[str, Query(examples=["be-antwerpen"], description="an office of the caller's branch (and offices)")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
router = APIRouter(tags=["lists"])


def require_own_office(identity: Identity, office: str) -> None:
    """A known office of the caller's branch (422 otherwise), within the token's offices (403 otherwise)."""
    if office not in OFFICES:
        raise InvalidField("office", "known_office", f"unknown office {office}")
    if OFFICES[office][0] != identity.branch:
        raise InvalidField(
            "office", "office_of_branch", f"office {office} is not an office of the {identity.branch} branch"
        )
    if not identity.may_reach_office(office):
        raise OutsideOffices(office)


@router.get("/duos", openapi_extra=COORDINATORS, response_model=list[DuoSummary])
async def list_duos(
    request: Request,
    identity: Coordinator,
    office: Office,
    status: Literal["active", "ended"] | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The duos of an office that tracking knows (from DuoFormed), newest first."""
    require_own_office(identity, office)
    who = caller_of(request, identity)
    async with reading(request) as unit:
        return await duos.list_duos(unit.tx, who.tenant, [office], status, limit, offset)


@router.get("/duos/inactive", openapi_extra=COORDINATORS, response_model=list[InactiveDuo])
async def inactive_duos(
    request: Request,
    identity: Coordinator,
    office: Office,
    days: Annotated[
        int, Query(ge=1, le=365, description="listed when there was no meeting for at least this many days")
    ] = INACTIVE_AFTER_DAYS,
    limit: Limit = 20,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Running duos of an office with no meeting (counted from the last one, or from the forming when none was
    logged) for `days` days or more, the longest silence first."""
    require_own_office(identity, office)
    who = caller_of(request, identity)
    async with reading(request) as unit:
        return await duos.inactive(unit.tx, who.tenant, [office], who.today, days, limit, offset)


@router.get("/follow-ups/due", openapi_extra=COORDINATORS, response_model=list[DueFollowUp])
async def due_follow_ups(
    request: Request, identity: Coordinator, office: Office, limit: Limit = 20, offset: Offset = 0
) -> list[dict[str, Any]]:
    """Follow-ups (3, 6 and 12 months after a duo ended) due by today at an office, not yet recorded and still
    open (each for 3 months from its due day), the oldest first."""
    require_own_office(identity, office)
    who = caller_of(request, identity)
    async with reading(request) as unit:
        return await duos.due_follow_ups(unit.tx, who.tenant, [office], who.today, limit, offset)
