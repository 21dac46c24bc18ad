"""The figures routes."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.reporting.adapters.projection import mentee_counts

router = APIRouter(tags=["figures"])


@router.get("/stats/mentees")
async def get_mentee_counts(request: Request) -> dict:
    """Registered mentees in total, by country branch and by office."""
    async with request.app.state.runtime.pool.acquire() as con:
        return await mentee_counts(con)
