"""The read models against their oracle, the fold of the ledger: random programmes over two branches, their facts
applied in any order and some twice, late facts among them, give the same figures, figure by figure, for random
slices, dates and definitions; and so do read models filled from a whole ledger at once, as a rebuild fills them."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import asyncpg
import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.programmes import OFFICES_BY_BRANCH, SPAN_DAYS, START, random_history
from services.reporting.adapters.counters import STEPS, count_facts
from services.reporting.adapters.listings import LISTED, list_facts
from services.reporting.adapters.projection import (
    LEDGER_COLUMNS,
    ledger_envelopes,
    ledger_row,
    ledger_writer,
    mentee_counts,
    reporting_tables_ddl,
    stream_history,
)
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import (
    read_coordination,
    read_duos_formed_by_office_and_year,
    read_history,
    read_mentee_counts,
)
from services.reporting.adapters.read_models import (
    READ_MODELS,
    TABLES,
    ReadModel,
    SubjectIndex,
    fill_fact_tables,
    fill_once,
    fill_read_models,
    fill_typed_tables,
    is_id_sql,
)
from services.reporting.adapters.read_trail import BEFORE_ALL, read_trail_page
from services.reporting.adapters.rebuild import (
    REBUILT_MODELS,
    build_read_models,
    folded_answers,
    read_answers,
    second_connection,
)
from services.reporting.app import create_app
from services.reporting.domain.coordination import Offices, coordination
from services.reporting.domain.definitions import MENTOR_RETENTIONS, POSITIVE_EXITS, SUSTAINABLE_WORK, Chosen
from services.reporting.domain.plan import formed_by_area
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import TRAILS, Slice, figures, trail
from services.reporting.migrations import MIGRATIONS
from shared.auth.identity import Role
from shared.config import ServiceSettings
from shared.events.envelope import EventEnvelope
from shared.eventstore.postgres import init_connection
from shared.migrations import migrate
from shared.tenancy import TIMEZONES, Tenant
from tests.auth import VERIFIER, bearer
from tests.conftest import unique
from tests.unit.test_reporting_definitions import sibling_duos

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def con(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    await init_connection(connection)
    await connection.execute(reporting_tables_ddl())
    yield connection
    await connection.close()


def end_of(day: date) -> datetime:
    """The last moment of a day in Brussels (every branch here shares its offset), as the API's cutoff."""
    return datetime.combine(day + timedelta(days=1), time(), TIMEZONES[Tenant.BE]).astimezone(UTC) - timedelta(
        microseconds=1
    )


async def apply_in_any_order(con: asyncpg.Connection, seed: int, size: int) -> None:
    """The history's facts through the consumer's effect, shuffled, a fifth of them delivered twice."""
    rng = random.Random(seed)
    envelopes = random_history(seed, size)
    delivered = envelopes + rng.sample(envelopes, len(envelopes) // 5)
    rng.shuffle(delivered)
    keep = ledger_writer()
    async with con.transaction():
        for envelope in delivered:
            await keep(con, envelope)


def slices(rng: random.Random) -> list[tuple[Tenant, Slice]]:
    branch = rng.choice(list(OFFICES_BY_BRANCH))
    return [
        (branch, Slice(branch)),
        (branch, Slice(branch, office=rng.choice(OFFICES_BY_BRANCH[branch]))),
        (Tenant.BE, Slice(Tenant.BE, province=rng.choice(("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant")))),
        (branch, Slice(branch, year=rng.choice((2025, 2026)))),
    ]


async def read_every_page(
    con: asyncpg.Connection, where: Slice, day: date, cutoff: datetime, figure: str, work: Chosen, limit: int
) -> dict:
    """A figure's trail read a page of `limit` at a time, stated as the fold states the whole (report.trail), with
    the total the pages state; no fact is listed twice, and no page is longer than asked."""
    listed: list[uuid.UUID] = []
    after = BEFORE_ALL
    while True:
        page = await read_trail_page(con, where, day, cutoff, figure, work, after, limit)
        assert len(page.event_ids) <= limit and (page.after is None or len(page.event_ids) == limit)
        listed += page.event_ids
        if page.after is None:
            break
        after = page.after
    whole = {"figure": figure, "definition": page.definition, "event_ids": sorted(listed), "total": page.total}
    assert len(listed) == len(set(listed)), (figure, where, day, limit)
    return whole if page.denominator_duos is None else {**whole, "denominator_duos": page.denominator_duos}


async def assert_read_models_equal_the_fold(con: asyncpg.Connection, rng: random.Random, days: list[int]) -> None:
    for offset in days:
        day = START + timedelta(days=offset)
        cutoff = end_of(day)
        work = Chosen(
            rng.choice(sorted(POSITIVE_EXITS)),
            rng.choice(sorted(SUSTAINABLE_WORK)),
            rng.choice(sorted(MENTOR_RETENTIONS)),
        )
        for branch, where in slices(rng):
            oracle = figures(programme_of(await ledger_envelopes(con, branch, cutoff), cutoff), where, day, work)
            assert await read_figures(con, where, day, work, branch) == oracle, (day, where, work)
        everything = programme_of(await ledger_envelopes(con, None, cutoff), cutoff)
        for branch in OFFICES_BY_BRANCH:
            oracle = figures(everything, Slice(branch), day, work)
            assert await read_figures(con, Slice(branch), day, work, None) == oracle, ("federation", day)
            p = programme_of(await ledger_envelopes(con, branch, cutoff), cutoff)
            # Every office alone, two of them and the whole branch: each list's total (its counters by day) and its
            # first rows (the index in its order, cut short by the limit or not).
            one_by_one = [frozenset({office}) for office in OFFICES_BY_BRANCH[branch]]
            for offices in (None, frozenset(rng.sample(OFFICES_BY_BRANCH[branch], 2)), *one_by_one):
                limit = rng.choice((1, 3, 200))
                lists = await read_coordination(con, Offices(branch, offices), day, limit)
                assert lists == coordination(p, Offices(branch, offices), day, limit), ("lists", day, branch, offices)
            for figure in TRAILS:
                where = rng.choice(slices(rng))[1]
                if where.branch == branch:
                    read = await read_every_page(con, where, day, cutoff, figure, work, rng.choice((1, 2, 7, 100)))
                    folded = trail(p, where, day, figure, work)
                    assert read == {**folded, "total": len(folded["event_ids"])}, (figure, where, day)
        formed = formed_by_area(await read_duos_formed_by_office_and_year(con, Tenant.BE, day))
        belgian = programme_of(await ledger_envelopes(con, Tenant.BE, cutoff), cutoff).duos.values()
        areas = ((d.place.province if d.place.region == "Flanders" else d.place.region, d) for d in belgian)
        assert formed == dict(Counter((area, d.formed_on.year) for area, d in areas if area))
    for of in (*OFFICES_BY_BRANCH, None):
        read, folded = await read_mentee_counts(con, of), await mentee_counts(con, of)
        assert json.dumps(read, sort_keys=True) == json.dumps(folded, sort_keys=True)  # as JSON: ints, not decimals


async def assert_histories_equal_the_ledger_scan(con: asyncpg.Connection, rng: random.Random) -> None:
    subjects = await con.fetch("SELECT tenant, data FROM ledger ORDER BY event_id LIMIT 40")
    for row in rng.sample(subjects, min(8, len(subjects))):
        for value in row["data"].values():
            if isinstance(value, str) and len(value) == 36:
                branch = Tenant(row["tenant"])
                read = await read_history(con, branch, uuid.UUID(value))
                scanned = await stream_history(con, branch, uuid.UUID(value))
                assert read and sorted(read, key=str) == sorted(scanned, key=str)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 14),
    days=st.lists(st.integers(0, SPAN_DAYS + 400), min_size=1, max_size=3),
)
async def test_read_models_equal_the_fold_of_the_ledger_whatever_the_order(
    con: asyncpg.Connection, seed: int, size: int, days: list[int]
) -> None:
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    await apply_in_any_order(con, seed, size)
    await assert_read_models_equal_the_fold(con, random.Random(seed), days)
    await assert_histories_equal_the_ledger_scan(con, random.Random(seed))
    live = await steps_and_listings(con)
    # The same read models filled at once from the whole ledger, as a rebuild fills them (the mentees' steps and
    # waiting lines by PostgreSQL, mentees_in_sql.py): row for row what the live consumer kept, and the fold's figures.
    await con.execute(f"TRUNCATE {', '.join(TABLES)}")
    await fill_read_models(con, "ledger")
    assert await steps_and_listings(con) == live
    await assert_read_models_equal_the_fold(con, random.Random(seed + 1), days)


async def steps_and_listings(con: asyncpg.Connection) -> tuple[list, list]:
    """Every entity's steps and listings as kept, in one order."""
    steps = await con.fetch(f"SELECT * FROM {STEPS} ORDER BY entity, tenant, office, year, figure, key, day, delta")
    listed = await con.fetch(
        f"SELECT * FROM {LISTED} ORDER BY entity, list, tenant, office, from_day, until_day, rank_day, months, "
        "item::text"
    )
    return [tuple(r) for r in steps], [tuple(r) for r in listed]


async def test_the_rebuild_compares_the_lists_it_built_with_the_fold(con: asyncpg.Connection) -> None:
    """`duo projection rebuild reporting` switches its read models in only if they answer as the fold of its
    ledger does: the coordinators' lists too, each list's total as well as its first rows."""
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    await insert_into_ledger(con, random_history(19, 12))
    await build_read_models(con, "ledger")
    day = START + timedelta(days=SPAN_DAYS)
    folded = await folded_answers(con, "ledger", day)
    assert await read_answers(con, REBUILT_MODELS, day) == folded
    assert folded[Tenant.BE.value][2]["waiting_mentees"]["total"] > 0
    # One waiting mentee more in a total, from the first day of the programme on: the rebuild must see it.
    await con.execute(
        f"UPDATE {REBUILT_MODELS}.rm_listed_counts SET n = n + 1 WHERE list = 'waiting' AND tenant = 'BE' "
        f"AND office = '*' AND grain = 'y' AND bucket = (SELECT min(bucket) FROM {REBUILT_MODELS}.rm_listed_counts)"
    )
    assert await read_answers(con, REBUILT_MODELS, day) != folded
    # The rebuilt counters keep the room on their pages that the live ones have (migration 20), which `LIKE` drops.
    options = "SELECT reloptions FROM pg_class WHERE oid = $1::regclass"
    for table in ("rm_counts", "rm_listed_counts"):
        assert await con.fetchval(options, f"{REBUILT_MODELS}.{table}") == ["fillfactor=70"]
        assert await con.fetchval(options, f"public.{table}") == ["fillfactor=70"]
    # The keys and indexes a rebuild drops to fill its tables faster are all back, named and defined as the live ones.
    assert await keys_and_indexes(con, REBUILT_MODELS) == await keys_and_indexes(con, "public")
    await con.execute(f"DROP SCHEMA {REBUILT_MODELS} CASCADE")


async def test_the_subject_index_takes_as_ids_exactly_what_the_regular_expression_of_an_id_matches(
    con: asyncpg.Connection,
) -> None:
    """The subject index's cheaper test of an id (a LIKE, then a regular expression without counted repeats) takes
    exactly the values the regular expression of a canonical id takes: ids mangled at random and by hand."""
    rng = random.Random(36)
    alphabet = "0123456789abcdefABCDEFg-_ \né%"
    values = ["12345678-1234-1234-1234-123456789abc", "-" * 36, "12345678-1234-1234-1234-12345678-abc", ""]
    for _ in range(5000):
        value = list(str(uuid.UUID(int=rng.getrandbits(128))))
        for _ in range(rng.randint(1, 3)):  # a character changed, added or taken out
            at, change = rng.randrange(len(value)), rng.randrange(3)
            if change == 0:
                value[at] = rng.choice(alphabet)
            elif change == 1:
                value.insert(at, rng.choice(alphabet))
            else:
                del value[at]
        values.append("".join(value))
    rows = await con.fetch(
        "SELECT v, v ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' AS expected, "
        f"{is_id_sql('v')} AS taken FROM unnest($1::text[]) v",
        values,
    )
    assert [r["v"] for r in rows if r["expected"] != r["taken"]] == []
    assert 200 < sum(r["taken"] for r in rows) < len(rows) - 200  # both kinds tried, many of each


async def keys_and_indexes(con: asyncpg.Connection, schema: str) -> set[tuple[str, ...]]:
    """Every read-model table's constraints and indexes in `schema`: (table, name, definition), the schema left out."""
    tables = [f"{schema}.{table}" for table in TABLES]
    constraints = await con.fetch(
        "SELECT conrelid::regclass::text AS t, conname AS name, pg_get_constraintdef(oid) AS definition "
        "FROM pg_constraint WHERE conrelid = ANY($1::regclass[])",
        tables,
    )
    indexes = await con.fetch(
        "SELECT indrelid::regclass::text AS t, indexrelid::regclass::text AS name, "
        "pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = ANY($1::regclass[])",
        tables,
    )
    return {
        tuple(str(row[k]).replace(f"{schema}.", "") for k in ("t", "name", "definition"))
        for row in [*constraints, *indexes]
    }


class CountingCalls:
    """A connection whose statement calls are counted: whether a build gave it any work."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        if name in ("execute", "fetch", "fetchval", "copy_records_to_table"):
            self.calls += 1
        return getattr(self.connection, name)


async def rebuilt_rows(con: asyncpg.Connection) -> dict[str, list[str]]:
    """Every rebuilt read-model table's rows, each as text, in one order."""
    return {
        table: [r[0] for r in await con.fetch(f"SELECT t::text FROM {REBUILT_MODELS}.{table} t ORDER BY 1")]
        for table in TABLES
    }


async def built_on_one_then_given_two(
    con: asyncpg.Connection, database_url: str, seed: int, in_a_transaction: bool = False
) -> tuple[dict[str, list[str]], dict[str, list[str]], int]:
    """A random ledger's read models built on `con` alone, then given a second connection (inside a transaction of
    the caller's when asked): both builds' rows, and how many statement calls the second connection was given."""
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    await insert_into_ledger(con, random_history(seed, 12))
    await build_read_models(con, "ledger")
    alone = await rebuilt_rows(con)
    second = await asyncpg.connect(database_url)
    try:
        await init_connection(second)
        counting = CountingCalls(second)
        async with con.transaction() if in_a_transaction else contextlib.nullcontext():
            await build_read_models(con, "ledger", cast(asyncpg.Connection, counting))
            given = await rebuilt_rows(con)
    finally:
        await second.close()
    return alone, given, counting.calls


async def test_a_rebuild_building_on_two_connections_builds_what_one_builds(
    con: asyncpg.Connection, database_url: str
) -> None:
    """`duo projection rebuild reporting` builds its read models on two connections at once (the typed tables and
    counters on one, the subject index and listings on the other): row for row what one connection builds, and
    answering as the fold of the ledger does."""
    alone, together, calls = await built_on_one_then_given_two(con, database_url, 23)
    assert calls > 0  # the second connection did its share
    assert together == alone
    assert all(together[t] for t in ("rm_subjects", "rm_listed", "rm_steps", "rm_duos"))
    day = START + timedelta(days=SPAN_DAYS)
    assert await read_answers(con, REBUILT_MODELS, day) == await folded_answers(con, "ledger", day)
    await con.execute(f"DROP SCHEMA {REBUILT_MODELS} CASCADE")


async def test_a_build_inside_a_callers_transaction_stays_on_its_connection(
    con: asyncpg.Connection, database_url: str
) -> None:
    """Inside a transaction of the caller's, what the first connection writes is not seen by a second one: the build
    runs on the first alone, and builds what it builds outside."""
    alone, inside, calls = await built_on_one_then_given_two(con, database_url, 37, in_a_transaction=True)
    assert calls == 0 and inside == alone
    await con.execute(f"DROP SCHEMA {REBUILT_MODELS} CASCADE")


async def test_a_build_on_two_connections_fails_with_its_own_error_and_leaves_the_first_usable(
    con: asyncpg.Connection, database_url: str
) -> None:
    """One chain failing does not cancel the other midway; the caller (the CLI) sees the failure itself, not a group
    of one, and the first connection is left out of any transaction."""
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    await insert_into_ledger(con, random_history(29, 6))
    gone = await asyncpg.connect(database_url)
    await gone.close()
    with pytest.raises(asyncpg.InterfaceError, match="closed"):
        await build_read_models(con, "ledger", gone)
    assert not con.is_in_transaction() and await con.fetchval("SELECT 1") == 1
    await con.execute(f"DROP SCHEMA {REBUILT_MODELS} CASCADE")


async def test_a_rebuild_refused_a_second_connection_builds_on_one() -> None:
    said: list[str] = []
    assert await second_connection("postgresql://nobody@127.0.0.1:1/nothing", said.append) is None
    assert said == ["building the read models on one connection: a second was refused (ConnectionRefusedError)"]


async def test_the_listings_of_a_fill_sort_in_memory_in_a_transaction_of_their_own(con: asyncpg.Connection) -> None:
    """A rebuild lists in its own transaction, no longer after the counters' in theirs: the listings set their own
    working memory for their sorts over a whole ledger."""
    await con.execute(f"TRUNCATE ledger, {', '.join(TABLES)}")
    await insert_into_ledger(con, random_history(31, 4))
    async with con.transaction():
        await fill_typed_tables(con, "ledger")
        await list_facts(con, "ledger")
        assert await con.fetchval("SHOW work_mem") == "256MB"


async def insert_into_ledger(connection: asyncpg.Connection, envelopes: list[EventEnvelope]) -> None:
    """Facts straight into the ledger, as a version before the read models kept them."""
    insert = (
        f"INSERT INTO ledger ({', '.join(LEDGER_COLUMNS)}) "
        f"VALUES ({', '.join(f'${n}' for n in range(1, len(LEDGER_COLUMNS) + 1))})"
    )
    await connection.executemany(insert, [ledger_row(e) for e in envelopes])


@contextlib.asynccontextmanager
async def older_ledger(
    database_url: str, version: int, history: list[EventEnvelope]
) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a ledger kept by reporting's migrations up to `version`, holding `history`."""
    connection = await asyncpg.connect(database_url)
    try:
        await init_connection(connection)
        await migrate(connection, MIGRATIONS, upto={"reporting": version})
        await insert_into_ledger(connection, history)
        yield connection
    finally:
        await connection.close()


async def _filled_once_and_equal_to_the_fold(
    connection: asyncpg.Connection, branch: Tenant, definitions: Chosen | None = None
) -> None:
    """Nothing counted before the fill; the fill runs once, and then the branch's figures are the fold's."""
    day = START + timedelta(days=SPAN_DAYS)
    assert (await read_figures(connection, Slice(branch), day)).duos_formed == 0
    assert await fill_once(connection) is True
    assert await fill_once(connection) is False  # once
    recorded = await ledger_envelopes(connection, branch, end_of(day))
    oracle = figures(programme_of(recorded), Slice(branch), day, definitions)
    assert oracle.duos_formed > 0
    assert await read_figures(connection, Slice(branch), day, definitions, of_branch=branch) == oracle


async def test_a_ledger_kept_before_the_read_models_fills_them_once(database_url: str) -> None:
    async with older_ledger(database_url, 3, random_history(7, 8)) as connection:
        await migrate(connection, MIGRATIONS)
        await _filled_once_and_equal_to_the_fold(connection, Tenant.BE)


async def test_of_two_duos_formed_the_same_day_the_read_models_take_the_first_to_end_as_the_fold_does(
    database_url: str,
) -> None:
    async with older_ledger(database_url, 3, sibling_duos().events) as connection:
        await migrate(connection, MIGRATIONS)
        assert await fill_once(connection) is True
        day, v2 = (
            date(2026, 11, 27),
            Chosen("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2"),
        )
        read = await read_figures(connection, Slice(Tenant.BE), day, v2, of_branch=Tenant.BE)
        assert (read.mentor_retention.numerator, read.mentor_retention.denominator) == (1, 1)
        oracle = figures(
            programme_of(await ledger_envelopes(connection, Tenant.BE, end_of(day))), Slice(Tenant.BE), day, v2
        )
        assert read == oracle


async def test_counters_kept_when_the_id_chose_a_mentors_first_duo_are_counted_again_once(database_url: str) -> None:
    """Version 20 counted a mentor's first of two same-day duos by the id; version 21 has the counters counted again
    at start when the ledger holds such a mentor, so the live figures become the fold's without a rebuild."""
    day, v2 = date(2026, 11, 27), Chosen("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
    async with older_ledger(database_url, 3, sibling_duos().events) as connection:
        await migrate(connection, MIGRATIONS, upto={"reporting": 20})
        assert await fill_once(connection) is True
        # As version 20 left them: the mentor counted from the duo the id chose (lost).
        await connection.execute("UPDATE rm_counts SET n = 0 WHERE figure LIKE 'mentors_retained%'")
        assert (
            await read_figures(connection, Slice(Tenant.BE), day, v2, of_branch=Tenant.BE)
        ).mentor_retention.numerator == 0
        assert [m.version for m in await migrate(connection, MIGRATIONS, upto={"reporting": 21})] == [21]
        assert await fill_once(connection) is True  # counted again, once
        assert await fill_once(connection) is False
        read = await read_figures(connection, Slice(Tenant.BE), day, v2, of_branch=Tenant.BE)
        assert (read.mentor_retention.numerator, read.mentor_retention.denominator) == (1, 1)


async def test_a_ledger_whose_fact_tables_were_kept_before_the_counters_counts_them_once(database_url: str) -> None:
    async with older_ledger(database_url, 4, random_history(9, 8)) as connection:
        await migrate(connection, MIGRATIONS)
        async with connection.transaction():  # what version 4 kept: the typed rows, not their counters
            await fill_fact_tables(connection, "ledger")
            await connection.execute("INSERT INTO rm_filled DEFAULT VALUES")
        await _filled_once_and_equal_to_the_fold(connection, Tenant.NL)


# The typed tables' columns added after version 6, which version 6 did not keep.
LATER_COLUMNS = {"qualifying", "partner_kind", "accompanied", "outcome", "employment_status", "employer_released"}


async def test_a_ledger_counted_before_the_definitions_per_branch_is_counted_again_once(database_url: str) -> None:
    # A history with a Belgian training (the first seed from 13 that has one).
    history = next(
        h
        for h in (random_history(seed, 10) for seed in range(13, 113))
        if any(e.event_type == "TrainingStarted" and e.tenant == Tenant.BE for e in h)
    )
    async with older_ledger(database_url, 6, history) as connection:
        async with connection.transaction():  # what version 6 kept: typed rows without `qualifying`, and counters
            for model in READ_MODELS:
                if not await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", model.table):
                    continue  # a table of a later version (the books' of version 9, the target groups')
                old = {name: sql for name, sql in model.columns.items() if name not in LATER_COLUMNS}
                await connection.execute(dataclasses.replace(model, columns=old).statement("ledger"))
            await connection.execute(
                "INSERT INTO rm_counts VALUES ('BE', '*', 0, 'y', '2025-01-01', 'duos_formed', '', 999)"
            )
        await migrate(connection, MIGRATIONS)
        unknown = "SELECT count(*) FROM rm_duo_facts WHERE event_type = 'TrainingStarted' AND qualifying IS NULL"
        assert await connection.fetchval(unknown) == 0
        v2 = Chosen("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
        await _filled_once_and_equal_to_the_fold(connection, Tenant.BE, v2)


async def fill_tables_it_had(connection: asyncpg.Connection) -> None:
    """The typed rows an older version kept: those of the tables it had (the books' came with version 9, the
    target groups' with 12), with the columns it had (the referrals' and mentor employment's came with 10 and 11)."""
    for model in (*READ_MODELS, SubjectIndex()):
        if not await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", model.table):
            continue
        if isinstance(model, ReadModel):
            had = {
                r["column_name"]
                for r in await connection.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1", model.table
                )
            }
            model = dataclasses.replace(model, columns={k: v for k, v in model.columns.items() if k in had})
        await connection.execute(model.statement("ledger"))


async def list_without_totals(connection: asyncpg.Connection) -> None:
    """The listings of a version before 16, which kept no list totals: today's code lists them (the rules did not
    change), its totals going to a temporary table of the same name, dropped after."""
    await connection.execute(
        "CREATE TEMP TABLE rm_listed_counts (list TEXT, tenant TEXT, office TEXT, grain CHAR(1), bucket DATE, "
        "n BIGINT, PRIMARY KEY (list, tenant, office, grain, bucket))"
    )
    await list_facts(connection, "ledger")
    await connection.execute("DROP TABLE pg_temp.rm_listed_counts")


async def test_a_ledger_kept_before_the_listings_lists_it_once(database_url: str) -> None:
    """A ledger whose typed rows and counters were kept (version 7) has its coordinators' lists made once, at
    the fill, equal to the fold's."""
    async with older_ledger(database_url, 7, random_history(15, 10)) as connection:
        async with connection.transaction():  # what version 7 kept: the typed rows and their counters, no lists
            await fill_tables_it_had(connection)
            await connection.execute("INSERT INTO rm_filled DEFAULT VALUES")
        await migrate(connection, MIGRATIONS)
        async with connection.transaction():  # its counters, counted on today's tables (the code counts no other)
            await count_facts(connection, "ledger")
            await connection.execute("INSERT INTO rm_counted SELECT now() WHERE NOT EXISTS (SELECT 1 FROM rm_counted)")
        day, where = START + timedelta(days=SPAN_DAYS), Offices(Tenant.BE)
        facts = await ledger_envelopes(connection, Tenant.BE, end_of(day))
        oracle = coordination(programme_of(facts), where, day, 200)  # as many items as read below
        assert sum(oracle[name]["total"] for name in ("waiting_mentees", "inactive_duos", "follow_ups_due")) > 0
        assert (await read_coordination(connection, where, day, 200))["follow_ups_due"]["total"] == 0
        assert await fill_once(connection) is True
        assert await fill_once(connection) is False  # once
        assert await read_coordination(connection, where, day, 200) == oracle


async def test_a_database_listed_before_the_lists_totals_counts_them_from_its_listings(database_url: str) -> None:
    """Version 16 keeps each list's total as counters by day: a database of version 15 has them made from the
    listings it holds, by the migration itself, and its lists are the fold's (totals beyond the items shown)."""
    async with older_ledger(database_url, 15, random_history(17, 12)) as connection:
        await migrate(connection, MIGRATIONS)
        await fill_read_models(connection, "ledger")
        # Back to what version 15 held: the same listings (their rules did not change), no totals, no new index.
        await connection.execute(
            "DROP TABLE rm_listed_counts; DROP INDEX rm_listed_open_in_order; "
            "DELETE FROM schema_migrations WHERE component = 'reporting' AND version = 16"
        )
        assert [m.version for m in await migrate(connection, MIGRATIONS)] == [16]
        for offset in (SPAN_DAYS // 2, SPAN_DAYS, SPAN_DAYS + 400):
            day = START + timedelta(days=offset)
            for branch, offices in OFFICES_BY_BRANCH.items():
                p = programme_of(await ledger_envelopes(connection, branch, end_of(day)))
                for where in (Offices(branch), Offices(branch, frozenset(offices[:1]))):
                    oracle = coordination(p, where, day, 1)
                    assert await read_coordination(connection, where, day, 1) == oracle, (day, where)
        totals = [oracle[name]["total"] for name in ("waiting_mentees", "inactive_duos", "follow_ups_due")]
        assert max(totals) > 1  # more listed than shown: the totals are the counters'


async def test_a_ledger_kept_before_mentors_rejoining_counted_them_is_counted_again_once(database_url: str) -> None:
    """Version 12 kept MentorRejoined in its ledger without a mentor row: a mentor back stayed gone in its counts.
    Version 13 adds the rows from the ledger and has every counter counted again, once."""
    history = next(
        h
        for h in (random_history(seed, 10) for seed in range(21, 121))
        if any(e.event_type == "MentorRejoined" and e.tenant == Tenant.BE for e in h)
    )
    async with older_ledger(database_url, 12, history) as connection:
        async with connection.transaction():  # what version 12 kept: every row but the rejoins, counted and listed
            await fill_tables_it_had(connection)
            assert await connection.fetchval("DELETE FROM rm_mentors WHERE kind = 'rejoined'") != "DELETE 0"
            await count_facts(connection, "ledger")
            await list_without_totals(connection)
            for done in ("rm_filled", "rm_counted", "rm_listed_filled"):
                await connection.execute(f"INSERT INTO {done} DEFAULT VALUES")
        await migrate(connection, MIGRATIONS)
        assert await connection.fetchval("SELECT count(*) FROM rm_mentors WHERE kind = 'rejoined'") > 0
        v2 = Chosen("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
        await _filled_once_and_equal_to_the_fold(connection, Tenant.BE, v2)


async def test_reporting_answers_only_once_an_older_ledger_has_filled_its_read_models(database_url, infra) -> None:
    """The fill is part of the start, not a job beside it: the very first answer counts the older ledger whole."""
    async with older_ledger(database_url, 3, random_history(11, 8)) as connection:
        whole = await connection.fetchval(
            "SELECT count(*) FROM ledger WHERE event_type = 'DuoFormed' AND tenant = 'BE'"
        )
    assert whole > 0
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, topic_prefix=unique("r") + ".", token_verifier=VERIFIER
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        first = await client.get("/figures", params={"as_of": "2100-01-01"}, headers=bearer("BE", Role.FUNDER))
        assert first.status_code == 200, first.text
        assert first.json()["figures"]["duos_formed"] == whole


async def test_a_fill_that_fails_stops_reportings_start_instead_of_serving_undercounts(database_url, infra) -> None:
    async with older_ledger(database_url, 3, random_history(12, 4)) as connection:
        await migrate(connection, MIGRATIONS)
        await connection.execute(f"DROP TABLE {TABLES[0]}")  # the fill cannot write its rows
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, topic_prefix=unique("r") + ".", token_verifier=VERIFIER
    )
    app = create_app(settings)
    with pytest.raises(asyncpg.UndefinedTableError):
        async with app.router.lifespan_context(app):
            pass
