"""Intake's wiring: settings, runtime (event store, outbox relay, intake's own tables), clock, routes, error answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from services.intake.api import install_error_answers, router
from services.intake.read_model import intake_tables_ddl
from shared.config import ServiceSettings, load_service_settings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime
from shared.tenancy import Tenant, local_today


def utc_now() -> datetime:
    """The real time, aware."""
    return datetime.now(UTC)


def create_app(settings: ServiceSettings | None = None, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """The intake service's HTTP application.

    `clock` is the one source of time: events' occurred_at, and each branch's today
    (`app.state.today(tenant)`, its local date) that ages, birth dates and training dates are checked on.
    """
    app = create_service_app(
        "DUO intake",
        lambda: ServiceRuntime(settings or load_service_settings("intake"), read_model_ddl=intake_tables_ddl()),
        "Registers mentees and mentors: eligibility per country branch, consent, mentor training, profile changes. "
        "Personal data stays in intake; events carry ids, office, sector, languages, availability and age band. "
        "Every route needs X-Tenant (the coordinator's branch); every POST and PATCH accepts an Idempotency-Key header.",
    )
    app.state.clock = clock

    def today(tenant: Tenant):
        return local_today(tenant, clock())

    app.state.today = today
    install_error_answers(app)
    app.include_router(router)
    return app
