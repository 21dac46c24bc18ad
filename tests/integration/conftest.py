"""Fixtures of the integration tests that need a running service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from services.intake.app import create_app
from shared.config import ServiceSettings
from tests.conftest import unique
from tests.integration.intake_harness import EXAMPLES_DATED, IntakeHarness


@pytest_asyncio.fixture
async def intake(infra, database_url: str) -> AsyncIterator[IntakeHarness]:
    """A running intake app on a fresh database and its own topic prefix."""
    prefix = unique("p") + "."
    settings = ServiceSettings(service="intake", database_url=database_url,
                               kafka_bootstrap_servers=infra.kafka_bootstrap, topic_prefix=prefix)
    # A fixed clock: the example birth dates must stay eligible whatever year the tests run in.
    app = create_app(settings, today=lambda: EXAMPLES_DATED)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield IntakeHarness(client, database_url, infra.kafka_bootstrap, prefix + "duo.intake.events")
