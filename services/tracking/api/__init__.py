"""Tracking's HTTP API: duos, their meetings, plan, outcomes, surveys, end and follow-ups, and the lists."""

from fastapi import APIRouter

from services.tracking.api import duos, lists

router = APIRouter()
router.include_router(lists.router)  # before /duos/{duo_id}: /duos/inactive is a list, not a duo
router.include_router(duos.router)

__all__ = ["router"]
