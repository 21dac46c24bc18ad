"""Tracking's HTTP API: duos, their meetings, plan, outcomes, referrals, surveys, end and follow-ups, the lists,
the branch's partner organisations, and its books (money and opening figures)."""

from fastapi import APIRouter

from services.tracking.api.books import router as book_routes
from services.tracking.api.duos import router as duo_routes
from services.tracking.api.lists import router as list_routes
from services.tracking.api.partners import router as partner_routes

router = APIRouter()
router.include_router(list_routes)  # before /duos/{duo_id}: /duos/inactive is a list, not a duo
router.include_router(duo_routes)
router.include_router(book_routes)
router.include_router(partner_routes)

__all__ = ["router"]
