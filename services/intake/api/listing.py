"""Lists by office, shared by the mentee and mentor routes: one page of the caller's branch's people."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from services.intake.adapters.people import PeopleQuery, list_people
from services.intake.api.views import PersonPage, PersonSummary
from services.intake.domain.rules import require_office_of_branch

# Past a million rows a client should filter, not page; the bound also keeps the offset
# far inside PostgreSQL's bigint (an unbounded one was a 500 on overflow).
MAX_OFFSET = 1_000_000
Limit = Annotated[int, Query(ge=1, le=100, description="people per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="people to skip")]


async def list_page(request: Request, query: PeopleQuery) -> PersonPage:
    """The page `query` asks for; 422 if its office is not one of the caller's branch."""
    require_office_of_branch(query.office, query.tenant)
    async with request.app.state.runtime.pool.acquire() as con:
        rows, total = await list_people(con, query)
    end = query.offset + query.limit
    return PersonPage(
        items=[PersonSummary(**row) for row in rows],
        total=total,
        limit=query.limit,
        offset=query.offset,
        next_offset=end if end < total else None,
    )
