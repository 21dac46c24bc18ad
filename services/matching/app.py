"""Matching's wiring: its store and relay, the candidate pool fed from intake's and tracking's topics,
a periodic expiry of overdue proposals, and the routes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI

from services.matching.adapters.pool import POOL_EFFECTS
from services.matching.api import router
from services.matching.domain.commands import ExpireProposals
from services.matching.migrations import MIGRATIONS
from services.matching.service import execute
from shared.clock import Clock, utc_now
from shared.commanding.caller import Caller
from shared.commanding.unit import Unit
from shared.config import ServiceSettings, load_service_settings
from shared.consuming.ordered import OrderedConsumer
from shared.http import create_service_app
from shared.runtime import ServiceRuntime, Subscription
from shared.tenancy import Tenant
from shared.topics import declared_topics

POOL_CONSUMER = "matching"
EXPIRY_INTERVAL_S = 60.0
log = structlog.get_logger("matching")


def build_pool_consumer(pool: asyncpg.Pool) -> OrderedConsumer:
    """The candidate pool's consumer: each person's events in stream order, exactly once."""
    return OrderedConsumer(pool, POOL_CONSUMER, POOL_EFFECTS)


async def expire_overdue_proposals(runtime: ServiceRuntime, clock: Clock) -> int:
    """Expire every branch's overdue proposals once; both people of each return to the pool."""
    assert runtime.pool is not None and runtime.store is not None
    expired = 0
    for tenant in Tenant:
        caller = Caller("matching-expiry", tenant, uuid.uuid4(), clock())
        async with runtime.store.transaction() as con:
            expired += len(await execute(Unit(con, runtime.store), ExpireProposals(), caller))
    return expired


def expiry_job(clock: Clock) -> Callable[[ServiceRuntime], Coroutine[Any, Any, None]]:
    """The periodic expiry: every minute; a failure is logged (its type only) and tried again next time."""

    async def expire_overdue(runtime: ServiceRuntime) -> None:
        while True:
            try:
                if expired := await expire_overdue_proposals(runtime, clock):
                    log.info("proposals expired", count=expired)
            except Exception as err:
                log.warning("expiring proposals failed", error=type(err).__name__)
            await asyncio.sleep(EXPIRY_INTERVAL_S)

    return expire_overdue


def create_app(settings: ServiceSettings | None = None, clock: Clock = utc_now) -> FastAPI:
    """The matching service's HTTP application."""

    def runtime() -> ServiceRuntime:
        resolved = settings or load_service_settings("matching")
        consumed = {t.name: t.producer for t in declared_topics(resolved.topic_prefix) if t.producer != "matching"}
        return ServiceRuntime(
            resolved,
            migrations=MIGRATIONS,
            subscriptions=[Subscription(build_pool_consumer, consumed)],
            background=[expiry_job(clock)],
            clock=clock,
        )

    app = create_service_app(
        "DUO matching",
        runtime,
        "Sector-based matching: suggestions with scores and reasons, whole-pool matching rounds, proposals, "
        "the first meeting where both decide, DuoFormed. Every route needs a coordinator's bearer token.",
        clock,
    )
    app.include_router(router)
    return app
