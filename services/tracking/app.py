"""Tracking's wiring. Its store and relay run now; meetings and outcomes come with the tracking issue."""

from __future__ import annotations

from fastapi import FastAPI

from shared.config import ServiceSettings, load_service_settings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The tracking service's HTTP application."""
    return create_service_app(
        "DUO tracking",
        lambda: ServiceRuntime(settings or load_service_settings("tracking")),
        "Meetings, outcomes, surveys and closing of duos.",
    )
