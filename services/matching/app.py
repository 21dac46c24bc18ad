"""Matching's wiring: its store and relay, the candidate pool fed from intake's and tracking's topics,
a periodic expiry of overdue proposals, and the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI

from services.matching.adapters.pool import POOL_EFFECTS, PostgresPool
from services.matching.adapters.proposals import PostgresProposals
from services.matching.api import router
from services.matching.migrations import MIGRATIONS
from services.matching.service import MatchingUnit, Units, expire_periodically
from shared.clock import Clock, utc_now
from shared.config import ServiceSettings, load_service_settings
from shared.consuming.ordered import OrderedConsumer
from shared.consuming.subscriber import FRESH_FETCH_MAX_WAIT_MS
from shared.eventstore.base import EventStore
from shared.http import create_service_app
from shared.runtime import ServiceRuntime, Subscription
from shared.topics import declared_topics

POOL_CONSUMER = "matching"
# Tracking's events matter to the pool for one of them only, DuoEnded, one in each duo's stream: taken alone, the
# others left unread (docs/adr/0036). Intake's are followed in stream order: a person's events change one pool row.
ALONE_FROM = frozenset({"tracking"})
EXPIRY_INTERVAL_S = 60.0


def build_pool_consumer(pool: asyncpg.Pool) -> OrderedConsumer:
    """The candidate pool's consumer: each person's events in stream order, exactly once; each duo's end once."""
    return OrderedConsumer(pool, POOL_CONSUMER, POOL_EFFECTS, alone_from=ALONE_FROM)


def open_unit(con: asyncpg.Connection, store: EventStore[asyncpg.Connection]) -> MatchingUnit[asyncpg.Connection]:
    """Matching's unit of work on one connection: the store, the pool and the proposals share its transaction."""
    return MatchingUnit(con, store, PostgresPool(con), PostgresProposals(con))


def units_of(runtime: ServiceRuntime) -> Units:
    """A unit of work in a transaction of its own on the runtime's store, for work no request starts."""

    @asynccontextmanager
    async def unit() -> AsyncIterator[MatchingUnit[asyncpg.Connection]]:
        assert runtime.store is not None
        async with runtime.store.transaction() as con:
            yield open_unit(con, runtime.store)

    return unit


def expiry_job(clock: Clock) -> Callable[[ServiceRuntime], Coroutine[Any, Any, None]]:
    """The periodic expiry of overdue proposals (services/matching/service.py), every minute."""

    async def expire_overdue(runtime: ServiceRuntime) -> None:
        await expire_periodically(units_of(runtime), clock, EXPIRY_INTERVAL_S)

    return expire_overdue


def create_app(settings: ServiceSettings | None = None, clock: Clock = utc_now) -> FastAPI:
    """The matching service's HTTP application."""

    def runtime() -> ServiceRuntime:
        resolved = settings or load_service_settings("matching")
        consumed = {t.name: t.producer for t in declared_topics(resolved.topic_prefix) if t.producer != "matching"}
        return ServiceRuntime(
            resolved,
            migrations=MIGRATIONS,
            # A coordinator's next step waits on this pool: a mentee just interviewed, a mentor whose duo just ended
            # or whose training just completed must be matchable at once. The short wait halved the demo's polls
            # for matching to catch up and took a fifth off its time at --scale 0.2 (docs/demo.md).
            subscriptions=[Subscription(build_pool_consumer, consumed, fetch_max_wait_ms=FRESH_FETCH_MAX_WAIT_MS)],
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
    app.state.open_unit = open_unit
    app.include_router(router)
    return app
