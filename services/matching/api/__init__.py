"""Matching's HTTP API: suggestions, rounds, proposals, the first meeting and the answers."""

from fastapi import APIRouter

from services.matching.api import proposals, suggestions

router = APIRouter()
router.include_router(suggestions.router)
router.include_router(proposals.router)

__all__ = ["router"]
