"""Intake's wiring: settings, runtime, routes."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from shared.config import ServiceSettings, load_service_settings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The intake service's HTTP application."""
    app = create_service_app(
        "DUO intake",
        lambda: ServiceRuntime(settings or load_service_settings("intake")),
        "Registers mentees and mentors: eligibility, consent, mentor training.",
    )
    app.include_router(router)
    return app
