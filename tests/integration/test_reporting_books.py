"""The books' read models against their oracle, the fold of the ledger: random money figures and opening periods
of two branches, applied in any order and some twice, read as of random moments, equal books_of; and so do read
models filled from a whole ledger at once (a rebuild), or once at start from a ledger kept before version 9."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.reporting.adapters.projection import (
    LEDGER_COLUMNS,
    ledger_envelopes,
    ledger_row,
    ledger_writer,
    reporting_tables_ddl,
)
from services.reporting.adapters.read_books import read_books
from services.reporting.adapters.read_models import TABLES, fill_once, fill_read_models
from services.reporting.domain.books import books_of
from services.reporting.migrations import MIGRATIONS
from shared.events.catalog import MONEY_FIGURES, OpeningFiguresRecorded
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.eventstore.postgres import init_connection
from shared.migrations import migrate
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REGIONS = {Tenant.BE: ("Flanders", "Brussels", "Wallonia"), Tenant.NL: ("Noord-Holland", "Zuid-Holland")}
SEAT = {"Flanders": "be-antwerpen", "Brussels": "be-brussel", "Wallonia": "be-liege"}
SEAT |= {"Noord-Holland": "nl-amsterdam", "Zuid-Holland": "nl-rotterdam"}


def random_books(seed: int, size: int) -> list[EventEnvelope]:
    """Each branch's money and opening streams: figures of few keys (so that later ones replace earlier), each
    recorded an hour or so after the one before it, in its stream's order."""
    rng = random.Random(seed)
    out = []
    for branch, regions in REGIONS.items():
        for books in ("finances", "opening"):
            stream, at = f"{books}-{uuid.uuid4()}", T0
            for version in range(1, rng.randint(0, size) + 1):
                region = rng.choice(regions)
                event: DomainEvent
                if books == "finances":
                    kind = rng.choice(list(MONEY_FIGURES))
                    cents = rng.randint(0, 10**9)
                    event = MONEY_FIGURES[kind](region=region, year=rng.choice((2024, 2025)), amount_cents=cents)
                else:
                    first = rng.choice((2013, 2018))
                    counts = {n: rng.choice((None, rng.randint(0, 5000))) for n in ("duos_formed", "active_mentors")}
                    event = OpeningFiguresRecorded(
                        region=region, first_year=first, last_year=first + 4, source=f"report {version}", **counts
                    )
                at += timedelta(minutes=rng.randint(0, 120))  # two facts may share a moment
                meta = EventMetadata(tenant=branch, office=SEAT[region], actor="finance-3", occurred_at=at)
                out.append(EventEnvelope.record(NewEvent(event, meta), stream, version, at))
    return out


@pytest_asyncio.fixture
async def con(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await init_connection(connection)
    await connection.execute(reporting_tables_ddl())
    yield connection
    await connection.close()


async def assert_read_books_equal_the_fold(con: asyncpg.Connection, moments: list[datetime]) -> None:
    for moment in moments:
        for branch in REGIONS:
            oracle = books_of(await ledger_envelopes(con, branch, moment), moment)
            assert await read_books(con, branch, moment) == oracle, (branch, moment)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(0, 12),
    hours=st.lists(st.integers(0, 30), min_size=1, max_size=3),
)
async def test_the_books_read_models_equal_the_fold_whatever_the_order(
    con: asyncpg.Connection, seed: int, size: int, hours: list[int]
) -> None:
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    rng = random.Random(seed)
    facts = random_books(seed, size)
    delivered = facts + rng.sample(facts, len(facts) // 3)
    rng.shuffle(delivered)
    keep = ledger_writer()
    async with con.transaction():
        for envelope in delivered:
            await keep(con, envelope)
    moments = [T0 + timedelta(hours=h) for h in hours] + [T0 + timedelta(days=400)]
    await assert_read_books_equal_the_fold(con, moments)
    await con.execute(f"TRUNCATE {', '.join(TABLES)}")  # as a rebuild fills them: the whole ledger at once
    await fill_read_models(con, "ledger")
    await assert_read_books_equal_the_fold(con, moments)


async def test_a_ledger_with_books_kept_before_version_9_fills_them_once_at_start(database_url: str) -> None:
    facts = random_books(5, 8)
    assert facts
    connection = await asyncpg.connect(database_url)
    try:
        await init_connection(connection)
        await migrate(connection, MIGRATIONS, upto={"reporting": 8})
        insert = (
            f"INSERT INTO ledger ({', '.join(LEDGER_COLUMNS)}) "
            f"VALUES ({', '.join(f'${n}' for n in range(1, len(LEDGER_COLUMNS) + 1))})"
        )
        await connection.executemany(insert, [ledger_row(e) for e in facts])
        await migrate(connection, MIGRATIONS)
        end = T0 + timedelta(days=400)
        assert await read_books(connection, Tenant.BE, end) == books_of([])  # nothing read before the fill
        assert await fill_once(connection) is True
        assert await fill_once(connection) is False
        for branch in REGIONS:
            assert await read_books(connection, branch, end) == books_of(await ledger_envelopes(connection, branch))
    finally:
        await connection.close()
