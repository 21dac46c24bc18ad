"""Reporting's HTTP API: the programme's figures, read from the projection."""

from services.reporting.api.figures import router

__all__ = ["router"]
