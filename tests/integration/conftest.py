"""Fixtures of the integration tests that need a running service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio

from services.intake.app import create_app
from shared.config import ServiceSettings
from tests.auth import VERIFIER
from tests.conftest import unique
from tests.integration.intake_harness import BE, EXAMPLES_DATED, IntakeHarness


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
    )
    # A clock set back to the day the examples were written for, so their birth dates stay
    # eligible whatever year the tests run in; it still runs, so registrations keep their order.
    shift = datetime.now(UTC).date() - EXAMPLES_DATED
    app = create_app(settings, clock=lambda: datetime.now(UTC) - shift)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        # Every request speaks for the Belgian branch unless it says otherwise.
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", headers=BE) as client:
            yield IntakeHarness(client, database_url, infra.kafka_bootstrap, prefix + "duo.intake.events")
