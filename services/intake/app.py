"""Intake's wiring: settings, runtime (event store, outbox relay, intake's own tables), routes, error answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from fastapi import FastAPI

from services.intake.api import install_error_answers, router
from services.intake.read_model import intake_tables_ddl
from shared.config import ServiceSettings, load_service_settings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def utc_today() -> date:
    """Today's date in UTC: eligibility ages are computed on it."""
    return datetime.now(UTC).date()


def create_app(settings: ServiceSettings | None = None, today: Callable[[], date] = utc_today) -> FastAPI:
    """The intake service's HTTP application; `today` is the clock eligibility uses."""
    app = create_service_app(
        "DUO intake",
        lambda: ServiceRuntime(settings or load_service_settings("intake"), read_model_ddl=intake_tables_ddl()),
        "Registers mentees and mentors: eligibility per country branch, consent, mentor training, profile changes. "
        "Personal data stays in intake; events carry ids, office, sector, languages, availability and age band. "
        "Every POST and PATCH accepts an Idempotency-Key header.",
    )
    app.state.today = today
    install_error_answers(app)
    app.include_router(router)
    return app
