"""Matching's wiring. Its store and relay run now; proposals and DuoFormed come with the matching issue."""

from __future__ import annotations

from fastapi import FastAPI

from shared.config import ServiceSettings, load_service_settings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The matching service's HTTP application."""
    return create_service_app(
        "DUO matching",
        lambda: ServiceRuntime(settings or load_service_settings("matching")),
        "Sector-based matching of mentees and mentors into duos.",
    )
