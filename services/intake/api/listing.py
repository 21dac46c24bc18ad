"""Lists by office, shared by the mentee and mentor routes: one page of the caller's branch's people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from services.intake.adapters.people import PeopleQuery, list_people
from services.intake.api.access import log_read
from services.intake.api.views import PersonPage, PersonSummary
from services.intake.domain.rules import require_office_of_branch
from shared.auth.identity import Identity
from shared.commanding.errors import OutsideOffices
from shared.commanding.http import reading
from shared.tenancy import Tenant

# Past a million rows a client should filter, not page; the bound also keeps the offset
# far inside PostgreSQL's bigint (an unbounded one was a 500 on overflow).
MAX_OFFSET = 1_000_000
Limit = Annotated[int, Query(ge=1, le=100, description="people per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="people to skip")]


async def list_page(request: Request, identity: Identity, query: PeopleQuery) -> PersonPage:
    """The page `query` asks for; 422 if its office is not one of the caller's branch, 403 if not of the
    caller's offices. The names on it are personal data: the read is recorded in the access log."""
    require_office_of_branch(query.office, query.tenant)
    if not identity.may_reach_office(query.office):
        raise OutsideOffices(query.office)
    async with reading(request) as unit:
        rows, total = await list_people(unit.tx, query)
        personal = await unit.vault.read_many([row["person_id"] for row in rows], query.tenant)
        await log_read(unit, request, identity, f"list_{query.kind}s", [row["person_id"] for row in rows])
    end = query.offset + query.limit
    return PersonPage(
        items=[PersonSummary(**row, **_name_of(personal.get(row["person_id"], {}))) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
        next_offset=end if end < total else None,
    )


def _name_of(personal: dict[str, Any]) -> dict[str, Any]:
    return {"first_name": personal.get("first_name"), "last_name": personal.get("last_name")}


def branch_of(identity: Identity) -> Tenant:
    """The caller's branch (every role that reaches people has one)."""
    assert identity.branch is not None
    return identity.branch
