"""Reporting's wiring: it consumes every producing context's topic; in a region, it sends its figures to the
federation topic (docs/adr/0028)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.adapters.federation_feed import feed_the_federation
from services.reporting.adapters.projection import build_consumer
from services.reporting.adapters.read_models import fill_once
from services.reporting.api import router
from services.reporting.api.health_snapshot import HealthSnapshot
from services.reporting.migrations import MIGRATIONS
from shared.clock import Clock, utc_now
from shared.config import ServiceSettings, load_service_settings
from shared.consuming.subscriber import FLOWING_FETCH_MAX_WAIT_MS, FRESH_FETCH_MAX_WAIT_MS
from shared.http import create_service_app
from shared.regions import EVERYWHERE
from shared.runtime import ServiceRuntime, Subscription
from shared.topics import declared_topics


async def fill_read_models_once(runtime: ServiceRuntime) -> None:
    """A ledger kept before the read models existed fills them in once, at start (migration 4), before reporting
    consumes or answers anything: figures read from half-filled models would be undercounts."""
    assert runtime.pool is not None
    async with runtime.pool.acquire() as con:
        await fill_once(con)


def create_app(settings: ServiceSettings | None = None, clock: Clock = utc_now) -> FastAPI:
    """The reporting service's HTTP application. The branches' definitions files are read first: a file naming a
    definition that does not exist stops reporting before it starts (DefinitionsFileError)."""
    definition_choices()

    def runtime() -> ServiceRuntime:
        resolved = settings or load_service_settings("reporting")
        return ServiceRuntime(
            resolved,
            publishes=False,
            clock=clock,  # the federation feed's calendar (a demo's simulated one)
            migrations=MIGRATIONS,
            before_serving=[fill_read_models_once],
            # A region's reporting feeds the federation (docs/adr/0028); a deployment declaring no region does not.
            background=[feed_the_federation] if resolved.region.name != EVERYWHERE else [],
            subscriptions=[
                Subscription(
                    build_consumer,
                    {t.name: t.producer for t in declared_topics(resolved.topic_prefix)},
                    # The figures' freshness (docs/performance.md sections 3 and 8) waits on this consumer: the
                    # short wait when idle, a shorter one while facts flow (docs/adr/0038).
                    fetch_max_wait_ms=FRESH_FETCH_MAX_WAIT_MS,
                    flowing_fetch_max_wait_ms=FLOWING_FETCH_MAX_WAIT_MS,
                )
            ],
        )

    app = create_service_app(
        "DUO reporting",
        runtime,
        "The programme's figures projected from the whole event log, per branch, against the plan, as of any date. "
        "Every route needs a bearer token (docs/security.md).",
        clock,
    )
    app.include_router(router)
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            # The platform's health as /coordination carries it: one look shared by the reads of a few seconds.
            snapshot = app.state.health_snapshot = HealthSnapshot()
            try:
                yield
            finally:
                await snapshot.close()

    app.router.lifespan_context = lifespan
    return app
