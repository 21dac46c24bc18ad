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
from services.reporting.adapters import counters, listings
from services.reporting.adapters.counters import KnownDuos, count_entities
from services.reporting.adapters.listings import list_entities
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


async def test_a_recount_writes_only_the_steps_that_changed(con: asyncpg.Connection, consumer: OrderedConsumer) -> None:
    """A fact about a duo recounts the whole duo, but its steps that came out as before stay where they are: only the
    changed ones are deleted and written (issue 24). A row written again would move (its ctid)."""
    facts = one_duo_met_many_times(30)
    await start_afresh(con)
    await consumer.handle_batch(facts[:-1])
    duo = f"duo:{facts[-1].data['duo_id']}"
    steps = "SELECT ctid::text, tenant, office, year, figure, key, day, delta FROM rm_steps WHERE entity = $1"
    before = {tuple(r)[1:]: r["ctid"] for r in await con.fetch(steps, duo)}
    await consumer.handle_batch(facts[-1:])
    after = {tuple(r)[1:]: r["ctid"] for r in await con.fetch(steps, duo)}
    kept = before.keys() & after.keys()
    assert len(kept) > len(after.keys() - kept) > 0  # a meeting more changes a few of its steps
    assert all(before[step] == after[step] for step in kept)  # those left as they were, in place


async def test_a_recount_that_changes_nothing_writes_nothing(
    con: asyncpg.Connection, consumer: OrderedConsumer
) -> None:
    """Every entity of a programme counted and listed again from the same facts: no step, listing, counter or list
    total is deleted or written (each would move: its ctid), so a fact that changes little writes little."""
    await start_afresh(con)
    await consumer.handle_batch(random_history(5, 6))
    tables = ("rm_steps", "rm_listed", "rm_counts", "rm_listed_counts")

    async def rows() -> dict[str, list[tuple]]:
        return {t: [tuple(r) for r in await con.fetch(f"SELECT ctid::text, * FROM {t} ORDER BY ctid")] for t in tables}

    before = await rows()
    assert all(before.values())
    async with con.transaction():
        entities = {
            "counted": [(r["kind"], r["id"]) for r in await con.fetch(counters.touched("ledger", some=False))],
            "listed": [(r["kind"], r["id"]) for r in await con.fetch(listings.touched("ledger", some=False))],
        }
        duos = KnownDuos()
        await count_entities(con, entities["counted"], duos)
        await list_entities(con, entities["listed"], duos)
    assert await rows() == before
