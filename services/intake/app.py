"""Intake's wiring: settings, runtime (event store, outbox relay, its tables), clock, unit of work, routes."""

from __future__ import annotations

import functools
from collections.abc import Callable

import asyncpg
from fastapi import FastAPI

from services.intake.adapters.master_key import intake_master_keys
from services.intake.adapters.people import PostgresPeople
from services.intake.adapters.rules_files import load_rule_book
from services.intake.adapters.sealing import at_start
from services.intake.adapters.vault import PostgresVault
from services.intake.api import router
from services.intake.api.replay import replay_answer
from services.intake.domain.rules import RuleBook
from services.intake.migrations import MIGRATIONS
from services.intake.service import IntakeUnit
from shared.clock import Clock, utc_now
from shared.config import ServiceSettings, load_service_settings
from shared.eventstore.base import EventStore
from shared.http import create_service_app
from shared.runtime import ServiceRuntime
from shared.shredding import MasterKeyRing


def unit_opener(
    rules: RuleBook, keys: Callable[[], MasterKeyRing]
) -> Callable[[asyncpg.Connection, EventStore[asyncpg.Connection]], IntakeUnit[asyncpg.Connection]]:
    """Intake's unit of work on one connection: the store, the vault and the people list share its transaction;
    the rules are the ones loaded at start; `keys()` are the vault's master keys."""

    def open_unit(con: asyncpg.Connection, store: EventStore[asyncpg.Connection]) -> IntakeUnit[asyncpg.Connection]:
        return IntakeUnit(con, store, PostgresVault(con, keys()), PostgresPeople(con), rules)

    return open_unit


def create_app(
    settings: ServiceSettings | None = None,
    clock: Clock = utc_now,
    rules: RuleBook | None = None,
    master_keys: MasterKeyRing | None = None,
) -> FastAPI:
    """The intake service's HTTP application.

    `clock` is the one source of time: each command reads it once, for its events' occurred_at
    and for the branch's today that ages, birth dates and training dates are checked on.
    `rules` are every branch's eligibility rules, every version; by default read (and validated)
    from the files shipped in services/intake/rules/, so a broken file stops the service from starting.
    `master_keys` wrap each person's data key; by default INTAKE_VAULT_MASTER_KEY (and _PREVIOUS) or the data folder's
    key, read at start.
    """
    book = rules if rules is not None else load_rule_book()
    keys: Callable[[], MasterKeyRing] = (
        (lambda: master_keys) if master_keys is not None else functools.cache(intake_master_keys)
    )

    def runtime() -> ServiceRuntime:
        keys()  # read at start: a missing or malformed key stops the service before it serves anyone

        async def seal_and_rotate(started: ServiceRuntime) -> None:
            await at_start(started, keys())

        return ServiceRuntime(
            settings or load_service_settings("intake"),
            clock=clock,
            migrations=MIGRATIONS,
            background=[seal_and_rotate],
        )

    app = create_service_app(
        "DUO intake",
        runtime,
        "Registers mentees and mentors: eligibility per country branch, consent, mentor training, profile changes. "
        "Personal data stays in intake; events carry ids, office, sector, languages, availability and age band. "
        "Every route needs a coordinator's bearer token, whose branch and offices it acts in; "
        "every POST and PATCH accepts an Idempotency-Key header.",
        clock,
    )
    app.state.rules = book
    app.state.open_unit = unit_opener(book, keys)
    app.state.replay_answer = replay_answer  # answers are kept as ids only and rendered again from the log
    app.include_router(router)
    return app
