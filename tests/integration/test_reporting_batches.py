"""Reporting's live consumer recounts once per batch: the counters and listings of every entity a batch's facts
touched are recomputed before it commits (projection.build_consumer's `per_batch` step). A batch, shuffled, with
copies, with late facts held and released inside it, gives the read models the fold gives; and a duo met many times
in one batch is counted as when its facts come one by one."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.programmes import SPAN_DAYS, START, random_history
from services.reporting.adapters.projection import build_consumer, ledger_envelopes, reporting_tables_ddl
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_models import TABLES
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, figures
from shared.consuming.ordered import OrderedConsumer, ordered_consumer_ddl
from shared.events.catalog import MeetingLogged
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from tests.integration.test_reporting_read_models import (
    assert_histories_equal_the_ledger_scan,
    assert_read_models_equal_the_fold,
    end_of,
)

pytestmark = pytest.mark.integration

CONSUMER_TABLES = "stream_positions, held_events, parked_events"


@pytest.fixture
async def con(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a database holding an event store's tables (parked events), reporting's and the ordered
    consumer's."""
    async with pool.acquire() as connection:
        await connection.execute(reporting_tables_ddl())
        await connection.execute(ordered_consumer_ddl())
        yield connection


@pytest.fixture
def consumer(con: asyncpg.Connection, pool: asyncpg.Pool) -> OrderedConsumer:
    """Reporting's live consumer, on the database of `con`."""
    return build_consumer(pool)


async def start_afresh(con: asyncpg.Connection) -> None:
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}, {CONSUMER_TABLES}")


async def nothing_waits(con: asyncpg.Connection) -> None:
    assert await con.fetchval("SELECT count(*) FROM held_events") == 0
    assert await con.fetchval("SELECT count(*) FROM parked_events") == 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 12),
    days=st.lists(st.integers(0, SPAN_DAYS + 400), min_size=1, max_size=2),
)
async def test_read_models_kept_batch_by_batch_equal_the_fold(
    con: asyncpg.Connection, consumer: OrderedConsumer, seed: int, size: int, days: list[int]
) -> None:
    await start_afresh(con)
    rng = random.Random(seed)
    envelopes = random_history(seed, size)
    delivered = envelopes + rng.sample(envelopes, len(envelopes) // 5)
    rng.shuffle(delivered)  # later versions come first: held, then released inside a batch by their predecessor
    while delivered:
        cut = rng.randint(1, 80)
        batch, delivered = delivered[:cut], delivered[cut:]
        await consumer.handle_batch(batch)
    await nothing_waits(con)
    await assert_read_models_equal_the_fold(con, random.Random(seed), days)
    await assert_histories_equal_the_ledger_scan(con, random.Random(seed))


def one_duo_met_many_times(meetings: int) -> list[EventEnvelope]:
    """A programme's facts with one of its duos then meeting `meetings` times more, on the duo's own stream."""
    history = random_history(11, 3)
    formed = next(e for e in history if e.event_type == "DuoFormed")
    duo = uuid.UUID(formed.data["duo_id"])
    stream = f"duo-{duo}"
    version = max((e.stream_version for e in history if e.stream_id == stream), default=0)
    for n in range(1, meetings + 1):
        met_on = START + timedelta(days=n)
        meta = EventMetadata(
            tenant=formed.tenant,
            office=formed.office,
            actor="staff-1",
            occurred_at=datetime.combine(met_on, time(12), UTC),
        )
        meeting = MeetingLogged(duo_id=duo, met_on=met_on, duration_minutes=60, mode="online", topics=("job_search",))
        history.append(EventEnvelope.record(NewEvent(meeting, meta), stream, version + n, meta.occurred_at))
    return history


async def counted(con: asyncpg.Connection) -> tuple[list, list, list, list]:
    """Every counter (those moved back to 0 by later facts aside), step, listing and list total, in a stable
    order."""
    return (
        [tuple(r) for r in await con.fetch("SELECT * FROM rm_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7")],
        [tuple(r) for r in await con.fetch("SELECT * FROM rm_steps ORDER BY 1, 2, 3, 4, 5, 6, 7, 8")],
        [tuple(r) for r in await con.fetch("SELECT * FROM rm_listed ORDER BY entity, list, from_day, item::text")],
        [tuple(r) for r in await con.fetch("SELECT * FROM rm_listed_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")],
    )


async def test_a_batch_touching_one_duo_many_times_counts_as_one_by_one(
    con: asyncpg.Connection, consumer: OrderedConsumer
) -> None:
    facts = one_duo_met_many_times(50)
    # The duo's own facts backwards: each meeting waits for the one before, all released inside the batch.
    batch = [e for e in facts if not e.stream_id.startswith("duo-")] + [
        e for e in reversed(facts) if e.stream_id.startswith("duo-")
    ]
    await start_afresh(con)
    await consumer.handle_batch(batch)
    await nothing_waits(con)
    in_one_batch = await counted(con)
    day = START + timedelta(days=SPAN_DAYS + 400)
    branch, cutoff = facts[0].tenant, end_of(day)
    oracle = figures(programme_of(await ledger_envelopes(con, branch, cutoff), cutoff), Slice(branch), day)
    assert oracle.meetings.total >= 50
    assert await read_figures(con, Slice(branch), day, of_branch=branch) == oracle

    await start_afresh(con)
    for envelope in facts:
        await consumer.handle(envelope)
    one_by_one = await counted(con)
    assert in_one_batch == one_by_one
    assert all(in_one_batch)  # counters, steps, listings and list totals all kept
