"""Rebuild the projection from the log: replay every topic from its beginning into a fresh ledger, build its read
models, show progress, compare their figures with the fold of the rebuilt ledger and that with the live one, then
switch over atomically.

The live projection keeps answering until the switch. Facts the live consumer applied while the
rebuild ran are carried into the new ledger at the switch (a fact is a fact: the union is exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
from aiokafka import AIOKafkaConsumer

from services.reporting.adapters.counters import STEPS, count_facts
from services.reporting.adapters.definition_files import definition_choices
from services.reporting.adapters.listings import list_facts
from services.reporting.adapters.projection import LEDGER, LEDGER_COLUMNS, programme
from services.reporting.adapters.read_books import read_books
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import read_coordination
from services.reporting.adapters.read_models import (
    FILLED_BEFORE_KEYED,
    TABLES,
    SubjectIndex,
    fill_read_models,
    fill_subject_index,
    fill_typed_tables,
)
from services.reporting.adapters.replay_worker import Orders
from services.reporting.adapters.verified_once import DIGEST_COLUMN, digest_key
from services.reporting.domain.books import books_of
from services.reporting.domain.coordination import Offices, coordination
from services.reporting.domain.definitions import Chosen
from services.reporting.domain.report import Slice, figures
from shared.config import ServiceSettings
from shared.events.keyfiles import event_keyring
from shared.kafka import aiokafka_options
from shared.runtime_privileges import grant_runtime_privileges
from shared.tenancy import TIMEZONES, Tenant
from shared.topics import declared_topics

REBUILD = "ledger_rebuild"
REBUILT_MODELS = "reporting_rebuild"  # the schema the read models are rebuilt in, until the switch
PREVIOUS = "ledger_previous"
# The log is read until every live fact is in the rebuild, checked once nothing new came for this long: the check is
# what ends it (a fact arriving later is carried over at the switch), this only spaces the checks; 3 s was waiting.
IDLE_S = 0.5


# The items of each coordinator's list a rebuild compares, beside the totals: more than a page (DEFAULT_LIMIT).
COMPARED_ITEMS = 200


def _end_of(today: date, branch: Tenant) -> datetime:
    """The last moment of `today` in the branch's zone: what the read models count as of today."""
    zone = TIMEZONES[branch]
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC) - timedelta(
        microseconds=1
    )


async def folded_answers(con: asyncpg.Connection, table: str, today: date) -> dict:
    """Every branch's figures, books (domain/books.py) and coordinator's lists (each list's total and first rows)
    as the fold of the ledger `table` gives them."""
    folded = {}
    for t in Tenant:
        p = await programme(con, t, _end_of(today, t), table)
        facts = (e for stream in p.by_stream.values() for e in stream)
        lists = coordination(p, Offices(t), today, COMPARED_ITEMS)
        folded[t.value] = (figures(p, Slice(t), today, _definitions(t, today)), books_of(facts), lists)
    return folded


def _definitions(branch: Tenant, today: date) -> Chosen:
    """The definitions the branch's figures use today: those the rebuild compares."""
    return definition_choices().for_branch(branch.value, today)


async def read_answers(con: asyncpg.Connection, schema: str, today: date) -> dict:
    """Every branch's figures, books and coordinator's lists from the read models of `schema` (its tables first,
    then public's)."""
    async with con.transaction():
        await con.execute(f"SET LOCAL search_path TO {schema}, public")
        return {
            t.value: (
                await read_figures(con, Slice(t), today, _definitions(t, today), t),
                await read_books(con, t, _end_of(today, t)),
                await read_coordination(con, Offices(t), today, COMPARED_ITEMS),
            )
            for t in Tenant
        }


async def build_read_models(con: asyncpg.Connection, source: str, second: asyncpg.Connection | None = None) -> float:
    """The read models of the ledger `source`, set-based, in a fresh schema REBUILT_MODELS (tables shaped like the
    live ones, their non-unique indexes built once at the end); the seconds it took.

    With `second` (a connection to the same database), two server processes build at once: the typed tables and then
    the counters on `con`, the subject index (it reads the ledger alone) and then, once the typed tables are
    committed, the listings on `second`. Each statement runs on one core, and a rebuild's other core stood idle."""
    started = time.monotonic()
    await con.execute(f"DROP SCHEMA IF EXISTS {REBUILT_MODELS} CASCADE; CREATE SCHEMA {REBUILT_MODELS}")
    typed_keys: list[str] = []
    deferred: list[str] = []
    after_counting: list[str] = []
    after_subjects: list[str] = []
    for table in TABLES:
        await con.execute(f"CREATE TABLE {REBUILT_MODELS}.{table} (LIKE public.{table} INCLUDING ALL)")
        await _same_storage_parameters(con, f"public.{table}", f"{REBUILT_MODELS}.{table}")
        # The keys of the tables filled before they are keyed first (each added once its table is filled), then
        # the other indexes (built once the keys are).
        if table in FILLED_BEFORE_KEYED:
            key = await _defer_key(con, f"{REBUILT_MODELS}.{table}", f"public.{table}")
            (after_subjects if table == SubjectIndex.table else typed_keys).append(key)
        indexes = await _defer_secondary_indexes(con, f"{REBUILT_MODELS}.{table}", f"public.{table}")
        # The steps are read by entity only once counted (a later recount): their indexes are built after them. The
        # subject index's (none today) by the connection that fills it, once filled: not beside its inserts.
        {STEPS: after_counting, SubjectIndex.table: after_subjects}.get(table, deferred).extend(indexes)
    deferred[:0] = typed_keys
    ledger = f"public.{source}"
    # Whether the typed tables are in (committed): the listings read them, on the other connection.
    typed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def typed_then_counted(c: asyncpg.Connection) -> None:
        try:
            async with _in_rebuilt_schema(c):
                await fill_typed_tables(c, ledger, fresh=True)
                for definition in deferred:  # before counting and listing: both read each entity's rows by its key
                    await c.execute(definition)
        except BaseException:
            typed.set_result(False)
            raise
        typed.set_result(True)
        async with _in_rebuilt_schema(c):
            await count_facts(c, ledger)
            for definition in after_counting:
                await c.execute(definition)

    async def subjects_then_listed(c: asyncpg.Connection) -> None:
        async with _in_rebuilt_schema(c):
            await fill_subject_index(c, ledger, fresh=True)
            for definition in after_subjects:
                await c.execute(definition)
        if await typed:
            async with _in_rebuilt_schema(c):
                await list_facts(c, ledger)

    # On two connections only outside a caller's transaction: inside one, what `con` writes stays unseen by `second`.
    if second is None or con.is_in_transaction():
        await typed_then_counted(con)
        await subjects_then_listed(con)
    else:
        # Neither chain is cancelled when the other fails (a statement cancelled midway can leave its connection in
        # a transaction): each ends, then the first failure is raised as itself.
        ended = await asyncio.gather(typed_then_counted(con), subjects_then_listed(second), return_exceptions=True)
        if failed := [e for e in ended if isinstance(e, BaseException)]:
            raise failed[0]
    return time.monotonic() - started


@contextlib.asynccontextmanager
async def _in_rebuilt_schema(con: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction whose tables are REBUILT_MODELS' first, then public's."""
    async with con.transaction():
        await con.execute(f"SET LOCAL search_path TO {REBUILT_MODELS}, public")
        yield


async def rebuild(
    settings: ServiceSettings, today: date, say: Callable[[str], None] = print, verify_all: bool = False
) -> bool:
    """Rebuild reporting's ledger and read models from the topics; True when the rebuilt read models' figures equal
    the fold of the rebuilt ledger (their oracle) and the fold's figures equal the live ones.

    As the database's owner when there is one: rebuilding creates, renames and drops tables, which the
    runtime role may not; the runtime role is then granted its privileges on the new tables.

    `verify_all`: every message's signature verified, none trusted for its digest kept in the live ledger
    (docs/adr/0033)."""
    runtime_role = urlsplit(settings.database_url).username
    if settings.owner_database_url:
        settings = replace(settings, database_url=settings.owner_database_url)
    con = await asyncpg.connect(settings.database_url)
    try:
        from shared.eventstore.postgres import init_connection

        await init_connection(con)
        await con.execute(f"DROP TABLE IF EXISTS {REBUILD}; CREATE TABLE {REBUILD} (LIKE {LEDGER} INCLUDING ALL)")
        replayed = await replay(con, settings, REBUILD, say, trust_kept=not verify_all)
        second = await second_connection(settings.database_url, say)
        try:
            seconds = await build_read_models(con, REBUILD, second)
        finally:
            if second is not None:
                await second.close()
        say(f"read models built from the rebuilt ledger in {seconds:.1f} s")
        rebuilt_figures = await folded_answers(con, REBUILD, today)
        read_equal = await read_answers(con, REBUILT_MODELS, today) == rebuilt_figures
        say(f"rebuilt read models {'equal' if read_equal else 'DIFFER FROM'} the fold of the rebuilt ledger")
        live_figures = await folded_answers(con, LEDGER, today)
        equal = rebuilt_figures == live_figures
        # Records read include the log's redeliveries (a relay that resent after a crash); facts are what counts.
        facts = await con.fetchval(f"SELECT count(*) FROM {REBUILD}")
        say(
            f"read {replayed.events} records from the log; {replayed.checked_in_full} messages verified, the others "
            "as reporting verified them before (their digests kept)"
        )
        say(f"{facts} facts; rebuilt figures {'equal' if equal else 'DIFFER FROM'} the live ones")
        if not read_equal:
            # Read models that disagree with their oracle never go live: the live ones stay as they are.
            await con.execute(f"DROP SCHEMA {REBUILT_MODELS} CASCADE; DROP TABLE {REBUILD}")
            say("not switched over: the live ledger and read models are unchanged")
            return False
        grantee = runtime_role if runtime_role != await con.fetchval("SELECT current_user") else None
        await _switch(con, grantee)
        say(f"switched over: the rebuilt ledger and read models are live (the previous ledger is kept as {PREVIOUS})")
        return equal and read_equal
    finally:
        await con.close()


async def second_connection(database_url: str, say: Callable[[str], None]) -> asyncpg.Connection | None:
    """A second connection for the read models' build; None (the build on one, slower) when the server refuses one,
    at its connection limit for instance: a rebuild that can go on does."""
    from shared.eventstore.postgres import init_connection

    try:
        second = await asyncpg.connect(database_url)
    except (OSError, asyncpg.PostgresError) as err:
        say(f"building the read models on one connection: a second was refused ({type(err).__name__})")
        return None
    await init_connection(second)
    return second


async def _switch(con: asyncpg.Connection, runtime_role: str | None) -> None:
    """One switch: no reader sees half of it; what the live consumer applied meanwhile comes along, with its rows;
    the runtime role gets its privileges on the new tables in the same transaction, so it never meets them bare."""
    async with con.transaction():
        # The ledger first, as the live consumer locks it (then its read models): the consumer waits, never deadlocks.
        await con.execute(f"LOCK TABLE {LEDGER} IN ACCESS EXCLUSIVE MODE")
        await con.execute("CREATE TEMP TABLE carried (event_id UUID PRIMARY KEY) ON COMMIT DROP")
        await con.execute(
            f"WITH c AS (INSERT INTO {REBUILD} SELECT * FROM {LEDGER} ON CONFLICT (event_id) DO NOTHING "
            "RETURNING event_id) INSERT INTO carried SELECT event_id FROM c"
        )
        await con.execute(f"SET LOCAL search_path TO {REBUILT_MODELS}, public")
        await fill_read_models(con, f"(SELECT r.* FROM public.{REBUILD} r JOIN carried USING (event_id))")
        await con.execute("SET LOCAL search_path TO public")
        # The ledger's indexes keep their names (migrations' and operators' names for them): the previous ledger's
        # are moved out of the way first (the rebuilt ledger's were named anew by `LIKE`, as copies).
        names = await _index_names(con, LEDGER)
        await con.execute(f"DROP TABLE IF EXISTS {PREVIOUS}")
        await con.execute(f"ALTER TABLE {LEDGER} RENAME TO {PREVIOUS}")
        await _names_aside(con, PREVIOUS)
        await con.execute(f"ALTER TABLE {REBUILD} RENAME TO {LEDGER}")
        await _rename_indexes(con, LEDGER, names)
        for table in TABLES:  # derived from the ledger: the previous ledger is the copy worth keeping
            await con.execute(f"DROP TABLE public.{table}")
            await con.execute(f"ALTER TABLE {REBUILT_MODELS}.{table} SET SCHEMA public")
        await con.execute(f"DROP SCHEMA {REBUILT_MODELS}")
        if runtime_role:
            await grant_runtime_privileges(con, runtime_role)


async def _same_storage_parameters(con: asyncpg.Connection, live: str, rebuilt: str) -> None:
    """Give the rebuilt table the live one's storage parameters (a fillfactor, migration 20), which `LIKE ... INCLUDING
    ALL` does not copy."""
    options = await con.fetchval("SELECT reloptions FROM pg_class WHERE oid = $1::regclass", live)
    if options:
        await con.execute(f"ALTER TABLE {rebuilt} SET ({', '.join(options)})")


async def _defer_key(con: asyncpg.Connection, table: str, live: str) -> str:
    """Drop an empty table's primary key and return the statement that adds it again, named and defined as the
    `live` table's: added once the table is filled, its index is built by one sort instead of an entry per row."""
    copied, live_key = await con.fetchrow(_PRIMARY_KEY, table), await con.fetchrow(_PRIMARY_KEY, live)
    if copied is None or live_key is None:
        raise RuntimeError(f"{table} is filled before its key, but {table if copied is None else live} has none")
    await con.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{copied["conname"]}"')
    name, definition = live_key
    return f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'


_PRIMARY_KEY = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'"
)
# What pg_get_indexdef writes: CREATE [UNIQUE] INDEX <name> ON <table> USING ...
_INDEX_DEFINITION = re.compile(r"CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (USING .*)", re.DOTALL)
_INDEXES = (
    "SELECT x.indexrelid::regclass::text AS target, x.indexrelid::int8 AS oid, c.relname AS name, "
    "pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
    "WHERE x.indrelid = $1::regclass"
)
_NON_UNIQUE_INDEXES = f"{_INDEXES} AND NOT x.indisunique"


def _index_on(definition: str, table: str) -> str:
    """An index's definition, on another table (under the same name: index names are the schema's own)."""
    parts = _INDEX_DEFINITION.fullmatch(definition)
    if parts is None:
        raise ValueError(f"not an index definition this rebuild can move: {definition}")
    return f"CREATE {parts[1] or ''}INDEX {parts[2]} ON {table} {parts[4]}"


def _indexed(definition: str) -> str:
    """What an index indexes, and how: its definition but its name and its table's."""
    parts = _INDEX_DEFINITION.fullmatch(definition)
    return f"{parts[1] or ''}{parts[4]}" if parts else definition


async def _index_names(con: asyncpg.Connection, table: str) -> dict[str, list[str]]:
    """The names of `table`'s indexes, by what each indexes (several, when an index was made twice)."""
    names: dict[str, list[str]] = defaultdict(list)
    for row in await con.fetch(_INDEXES, table):
        names[_indexed(row["definition"])].append(row["name"])
    return names


async def _names_aside(con: asyncpg.Connection, table: str) -> None:
    """Rename every index of `table` (a plain table name) to the table's name and the index's oid, freeing its name
    (unique, and short of PostgreSQL's 63 characters, whatever the name was)."""
    for row in await con.fetch(_INDEXES, table):
        await con.execute(f'ALTER INDEX {row["target"]} RENAME TO "{table}_{row["oid"]}"')


async def _rename_indexes(con: asyncpg.Connection, table: str, names: dict[str, list[str]]) -> None:
    """Give each index of `table` a name `names` has for what it indexes, each name once (a key's constraint is
    renamed with its index); an index with none left keeps its own."""
    left = {indexed: list(given) for indexed, given in names.items()}
    for row in await con.fetch(_INDEXES, table):
        free = left.get(_indexed(row["definition"]))
        if free:
            name = row["name"] if row["name"] in free else free[0]
            free.remove(name)
            if name != row["name"]:
                await con.execute(f'ALTER INDEX {row["target"]} RENAME TO "{name}"')


async def _defer_secondary_indexes(con: asyncpg.Connection, table: str, live: str | None = None) -> list[str]:
    """Drop an empty table's non-unique indexes and return their definitions, to build each once at the end:
    one sort is far cheaper than an index entry per row, and the unique key stays (it dedupes the log).

    With `live`, the definitions are the live table's indexes, on `table`: named as the live ones (`LIKE` names its
    copies anew), so that what a migration or an operator knows by name is still there after the switch."""
    if await con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
        return []
    rows = await con.fetch(_NON_UNIQUE_INDEXES, table)
    for row in rows:
        await con.execute(f"DROP INDEX {row['target']}")  # as regclass spells it: schema-qualified, quoted if need be
    if live is None:
        return [row["definition"] for row in rows]
    return [_index_on(row["definition"], table) for row in await con.fetch(_NON_UNIQUE_INDEXES, live)]


@dataclass(frozen=True)
class Replayed:
    """What a replay read: facts kept (redeliveries included), the seconds from its start to its last new fact
    (its indexes built), and the peak resident memory of its worker processes together."""

    events: int
    seconds: float
    workers_peak_rss_mb: float = 0.0
    checked_in_full: int = 0  # messages whose signature was verified: the live ledger kept no digest matching theirs


class _Worker:
    """One replay_worker process: its stdout read as it comes, its end awaited."""

    @classmethod
    async def given(cls, process: asyncio.subprocess.Process, orders: Orders) -> _Worker:
        assert process.stdin is not None
        process.stdin.write(orders.to_line().encode())  # on stdin: the broker's credentials never on a command line
        await process.stdin.drain()
        return cls(process)

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.facts = 0
        self.checked_in_full = 0
        self.peak_rss_mb = 0.0
        self.last_new = time.monotonic()
        self.reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            kind, *numbers = line.decode().split()
            if kind == "progress":
                self.facts += int(numbers[0])
                self.checked_in_full += int(numbers[2])
                if int(numbers[1]) > 0:
                    self.last_new = time.monotonic()
            elif kind == "done":
                self.peak_rss_mb = float(numbers[0])

    def failed(self) -> bool:
        return self.process.returncode not in (None, 0)

    async def stop(self) -> None:
        """Ask it to finish its batch and end; wait for it (killed if it does not end within a minute)."""
        stdin = self.process.stdin
        assert stdin is not None
        with contextlib.suppress(ConnectionError):
            stdin.write(b"stop\n")
            await stdin.drain()
            stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        await self.reading


WATCH_S = 0.05  # how often the replay looks at its workers' progress and exit codes
WORKERS = max(1, min(4, os.cpu_count() or 1))  # one Python process decodes on one core


async def replay(
    con: asyncpg.Connection,
    settings: ServiceSettings,
    table: str,
    say: Callable[[str], None] = print,
    idle_s: float = IDLE_S,
    workers: int = WORKERS,
    trust_kept: bool = True,
) -> Replayed:
    """Read every topic from its beginning into `table` (shaped like the ledger), until every fact of the live
    ledger is in it and nothing new came for `idle_s`.

    The partitions are shared among `workers` processes (replay_worker.py), each decoding and writing its share.
    A message whose keyed digest the live ledger keeps is not verified again, unless not `trust_kept`
    (verified_once.py, docs/adr/0033).
    The table's non-unique indexes are built once at the end (one sort instead of an entry per row): a replay that
    fails leaves the table without them (a rebuild starts from a new table each time). The facts still missing are
    counted by the database, never held in memory, so memory stays flat as the log grows.
    """
    started = time.monotonic()
    producers = {t.name: t.producer for t in declared_topics(settings.topic_prefix)}
    missing = (
        f"SELECT count(*) FROM {LEDGER} l WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.event_id = l.event_id)"
    )
    processes: list[asyncio.subprocess.Process] = []
    running: list[_Worker] = []
    try:
        # Started first: the processes load their modules while the partitions are listed.
        for _ in range(workers):
            processes.append(await _start_worker())
        deferred = await _defer_secondary_indexes(con, table)
        partitions = await _partitions(settings, list(producers))
        security = settings.kafka_security
        for n, process in enumerate(processes):
            orders = Orders(
                database_url=settings.database_url,
                bootstrap=settings.kafka_bootstrap_servers,
                security=dataclasses.asdict(security) if security else None,
                table=table,
                ledger=LEDGER,
                columns=[*LEDGER_COLUMNS, DIGEST_COLUMN],  # what the rebuild verified (or trusted) stays known
                partitions=partitions[n::workers],  # a worker given none waits for the stop
                producers=producers,
                keyring_file=str(event_keyring().path),
                digest_key=digest_key().hex(),  # the live ledger's digests, and the rebuilt one's
                trust_kept=trust_kept,
                branches=sorted(t.value for t in settings.region.branches),
            )
            running.append(await _Worker.given(process, orders))
        last_said = last_checked = time.monotonic()
        while True:
            await asyncio.sleep(WATCH_S)  # the workers report on their stdout; this loop only looks
            if failed := [w for w in running if w.failed()]:
                raise RuntimeError(f"a replay worker failed (exit code {failed[0].process.returncode}); see its log")
            now = time.monotonic()
            count = sum(w.facts for w in running)
            if now - last_said > 2:
                say(f"{count} events, {count / (now - started):.0f} events/s")
                last_said = now
            last_new = max((w.last_new for w in running), default=started)
            if now - last_new > idle_s and now - last_checked > min(idle_s, 1.0):
                # Not from end offsets, which a broker may under-report: the live ledger says what must be there.
                last_checked = now
                still = await con.fetchval(missing)
                if not still:
                    break
                say(f"{still} live facts still to read")
                if now - last_new > 60:
                    raise RuntimeError(f"{still} facts of the live ledger are not on the topics any more")
    finally:
        for worker in running:
            await worker.stop()
        for process in processes[len(running) :]:  # started, never given their orders
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if failed := [w for w in running if w.failed()]:
        raise RuntimeError(f"a replay worker failed (exit code {failed[0].process.returncode}); see its log")
    # Counted in the replay's time: the table is not rebuilt until its indexes are.
    building = time.monotonic()
    for definition in deferred:
        await con.execute(definition)
    seconds = last_new - started + time.monotonic() - building
    return Replayed(
        sum(w.facts for w in running),
        seconds,
        sum(w.peak_rss_mb for w in running),
        sum(w.checked_in_full for w in running),
    )


async def _partitions(settings: ServiceSettings, topics: list[str]) -> list[tuple[str, int]]:
    """Every partition of `topics` that exists (a topic not made yet has no facts)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, **aiokafka_options(settings.kafka_security)
    )
    await consumer.start()
    try:
        # The partitions as the cluster's metadata says at the start: facts on a topic or partition made during the
        # replay are not read (the switch carries over what the live consumer applied meanwhile).
        await consumer.topics()
        return [(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
    finally:
        await consumer.stop()


async def _start_worker() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.reporting.adapters.replay_worker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
