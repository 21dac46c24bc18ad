"""Fixtures of the integration tests that need a running service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest_asyncio

from services.intake.app import create_app
from services.matching.app import create_app as create_matching
from services.reporting.app import create_app as create_reporting
from services.tracking.app import create_app as create_tracking
from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.regions import Region
from tests.auth import SCRAPE_TOKEN, VERIFIER, bearer
from tests.conftest import unique
from tests.integration.intake_harness import BE, EXAMPLES_DATED, VAULT_KEY, IntakeHarness
from tests.integration.matching_harness import MatchingHarness


@pytest_asyncio.fixture
async def intake(infra, database_url: str) -> AsyncIterator[IntakeHarness]:
    """A running intake app on a fresh database and its own topic prefix."""
    prefix = unique("p") + "."
    settings = ServiceSettings(
        service="intake",
        database_url=database_url,
        kafka_bootstrap_servers=infra.kafka_bootstrap,
        topic_prefix=prefix,
        token_verifier=VERIFIER,
        scrape_token=SCRAPE_TOKEN,
    )
    # A clock set back to the day the examples were written for, so their birth dates stay
    # eligible whatever year the tests run in; it still runs, so registrations keep their order.
    shift = datetime.now(UTC).date() - EXAMPLES_DATED
    app = create_app(settings, clock=lambda: datetime.now(UTC) - shift, master_keys=VAULT_KEY)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        # Every request speaks for the Belgian branch unless it says otherwise.
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", headers=BE) as client:
            yield IntakeHarness(client, database_url, infra.kafka_bootstrap, prefix + "duo.intake.events")


@asynccontextmanager
async def service_database(infra, prefix: str) -> AsyncIterator[str]:
    """A fresh database for one more service of a test, dropped afterwards; its URL."""
    name = unique(prefix)
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield infra.database_url(name)
    finally:
        admin = await asyncpg.connect(infra.postgres_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def running_service(
    infra, service: str, create, topic_prefix: str, region: Region | None = None, days_ahead: float = 0
) -> AsyncIterator[MatchingHarness]:
    """A service in-process on a database of its own, reading the topics under `topic_prefix`, with a clock the
    test moves (`days_ahead`) and a client speaking for a Belgian coordinator; in `region` (default: every branch)."""
    async with service_database(infra, service[0]) as database_url:
        settings = ServiceSettings(
            service,
            database_url,
            infra.kafka_bootstrap,
            topic_prefix=topic_prefix,
            kafka_session_timeout_ms=2000,
            token_verifier=VERIFIER,
            scrape_token=SCRAPE_TOKEN,
            region=region or Region(),
        )
        harness = MatchingHarness(None, None, database_url, f"{topic_prefix}duo.{service}.events", days_ahead)  # type: ignore[arg-type]
        app = create(settings, clock=harness.now)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=f"http://{service}", headers=bearer("BE")) as client,
        ):
            harness.client, harness.app = client, app
            yield harness


@pytest_asyncio.fixture
async def matching(infra, intake: IntakeHarness) -> AsyncIterator[MatchingHarness]:
    """Matching in-process on a database of its own, fed by the intake fixture's topic; its clock can move."""
    async with running_service(infra, "matching", create_matching, intake.topic.removesuffix("duo.intake.events")) as h:
        yield h


@pytest_asyncio.fixture
async def tracking(infra, matching: MatchingHarness) -> AsyncIterator[MatchingHarness]:
    """Tracking in-process on a database of its own, fed by the matching fixture's topic; its clock can move
    (`days_ahead`) apart from matching's."""
    async with running_service(
        infra, "tracking", create_tracking, matching.topic.removesuffix("duo.matching.events")
    ) as h:
        yield h


@pytest_asyncio.fixture
async def reporting(infra, database_url, request) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceSettings]]:
    """The reporting service in-process, on the test's own topics;
    `@pytest.mark.parametrize("reporting", [shift], indirect=True)` moves its clock."""
    shift: timedelta = getattr(request, "param", timedelta(0))
    settings = ServiceSettings(
        "reporting",
        database_url,
        infra.kafka_bootstrap,
        topic_prefix=unique("r") + ".",
        kafka_session_timeout_ms=2000,
        token_verifier=VERIFIER,
    )
    app = create_reporting(settings, clock=lambda: utc_now() + shift)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        yield client, settings
