"""Tracking's wiring: its store and relay, the duos projected from matching's topic, and the routes."""

from __future__ import annotations

import asyncpg
from fastapi import FastAPI

from services.tracking.adapters.duos import DUO_EFFECTS, PostgresDuos
from services.tracking.adapters.partners import PostgresPartners
from services.tracking.api import router
from services.tracking.migrations import MIGRATIONS
from services.tracking.service import TrackingUnit
from shared.clock import Clock, utc_now
from shared.config import ServiceSettings, load_service_settings
from shared.consuming.ordered import OrderedConsumer
from shared.eventstore.base import EventStore
from shared.http import create_service_app
from shared.runtime import ServiceRuntime, Subscription
from shared.topics import declared_topics

DUOS_CONSUMER = "tracking"


def build_duo_consumer(pool: asyncpg.Pool) -> OrderedConsumer:
    """The duos' consumer: matching's events per stream in order, exactly once; DuoFormed makes a duo known."""
    return OrderedConsumer(pool, DUOS_CONSUMER, DUO_EFFECTS)


def open_unit(con: asyncpg.Connection, store: EventStore[asyncpg.Connection]) -> TrackingUnit[asyncpg.Connection]:
    """Tracking's unit of work on one connection: the store and the duos' rows share its transaction."""
    return TrackingUnit(con, store, PostgresDuos(con), PostgresPartners(con))


def create_app(settings: ServiceSettings | None = None, clock: Clock = utc_now) -> FastAPI:
    """The tracking service's HTTP application."""

    def runtime() -> ServiceRuntime:
        resolved = settings or load_service_settings("tracking")
        consumed = {t.name: t.producer for t in declared_topics(resolved.topic_prefix) if t.producer == "matching"}
        return ServiceRuntime(
            resolved,
            migrations=MIGRATIONS,
            subscriptions=[Subscription(build_duo_consumer, consumed)],
            clock=clock,
        )

    app = create_service_app(
        "DUO tracking",
        runtime,
        "Following each duo formed by matching: meetings, the career action plan, outcomes (jobs, trainings, "
        "internships), referrals to partner organisations, closing surveys, the end and the follow-ups at 3, 6 and "
        "12 months; and the branch's books: money per region and year (a finance officer's) and opening figures from "
        "before the platform (the branch admin's). Every route needs a bearer token of the role it names.",
        clock,
    )
    app.state.open_unit = open_unit
    app.include_router(router)
    return app
