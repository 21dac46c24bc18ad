"""The figures routes: each reader sees their own branch; the federation sees the roll-up across branches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.reporting.adapters.projection import mentee_counts
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import FIGURE_READERS, Identity

router = APIRouter(tags=["figures"])
FigureReader = Annotated[Identity, Depends(authorize(*FIGURE_READERS))]


@router.get("/stats/mentees", openapi_extra=roles_doc(*FIGURE_READERS))
async def get_mentee_counts(request: Request, identity: FigureReader) -> dict:
    """Registered mentees and applications of the caller's branch, in total and by office; for the federation,
    the total and each branch's total (no office detail)."""
    async with request.app.state.runtime.pool.acquire() as con:
        return await mentee_counts(con, identity.branch)
