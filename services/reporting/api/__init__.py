"""Reporting's HTTP API: the programme's figures read from the projection, a coordinator's lists, the dashboard."""

from fastapi import APIRouter

from services.reporting.api.coordination import router as coordination_router
from services.reporting.api.dashboard import router as dashboard_router
from services.reporting.api.figures import router as figures_router

router = APIRouter()
router.include_router(figures_router)
router.include_router(coordination_router)
router.include_router(dashboard_router)

__all__ = ["router"]
