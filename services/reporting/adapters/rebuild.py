"""Rebuild the projection from the log: replay every topic from its beginning into a fresh ledger, show
progress, compare its figures with the live ones, then switch over atomically.

The live projection keeps answering until the switch. Facts the live consumer applied while the
rebuild ran are carried into the new ledger at the switch (a fact is a fact: the union is exact).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import asyncpg
import pydantic
from aiokafka import AIOKafkaConsumer

from services.reporting.adapters.fast_rows import fast_row
from services.reporting.adapters.prefetch import ThreadedFetcher
from services.reporting.adapters.projection import LEDGER, LEDGER_COLUMNS, ledger_row, programme
from services.reporting.domain.report import Slice, figures
from shared.config import ServiceSettings
from shared.consuming.subscriber import admit
from shared.events.registry import UnknownEventType
from shared.kafka import aiokafka_options
from shared.tenancy import Tenant
from shared.topics import declared_topics

REBUILD = "ledger_rebuild"
PREVIOUS = "ledger_previous"
IDLE_S = 3.0  # the log is read until every live fact is in the rebuild and nothing new came for this long


async def _all_figures(con: asyncpg.Connection, table: str, today: date) -> dict:
    return {t.value: figures(await programme(con, t, None, table), Slice(t), today) for t in Tenant}


async def rebuild(settings: ServiceSettings, today: date, say: Callable[[str], None] = print) -> bool:
    """Rebuild reporting's ledger from the topics; True when the rebuilt figures equal the live ones."""
    con = await asyncpg.connect(settings.database_url)
    try:
        from shared.eventstore.postgres import init_connection

        await init_connection(con)
        await con.execute(f"DROP TABLE IF EXISTS {REBUILD}; CREATE TABLE {REBUILD} (LIKE {LEDGER} INCLUDING ALL)")
        replayed = (await replay(con, settings, REBUILD, say)).events
        rebuilt_figures = await _all_figures(con, REBUILD, today)
        live_figures = await _all_figures(con, LEDGER, today)
        equal = rebuilt_figures == live_figures
        say(f"replayed {replayed} events; rebuilt figures {'equal' if equal else 'DIFFER FROM'} the live ones")
        async with con.transaction():
            # One switch: no reader sees half of it; what the live consumer applied meanwhile comes along.
            await con.execute(f"LOCK TABLE {LEDGER} IN ACCESS EXCLUSIVE MODE")
            await con.execute(f"INSERT INTO {REBUILD} SELECT * FROM {LEDGER} ON CONFLICT (event_id) DO NOTHING")
            await con.execute(f"DROP TABLE IF EXISTS {PREVIOUS}")
            await con.execute(f"ALTER TABLE {LEDGER} RENAME TO {PREVIOUS}")
            await con.execute(f"ALTER TABLE {REBUILD} RENAME TO {LEDGER}")
        say(f"switched over: the rebuilt ledger is live (the previous one is kept as {PREVIOUS})")
        return equal
    finally:
        await con.close()


async def _defer_secondary_indexes(con: asyncpg.Connection, table: str) -> list[str]:
    """Drop an empty table's non-unique indexes and return their definitions, to build each once at the end:
    one sort is far cheaper than an index entry per row, and the unique key stays (it dedupes the log)."""
    if await con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
        return []
    rows = await con.fetch(
        "SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass AND NOT x.indisunique",
        table,
    )
    for row in rows:
        await con.execute(f'DROP INDEX "{row["name"]}"')
    return [row["definition"] for row in rows]


@dataclass(frozen=True)
class Replayed:
    """What a replay read: facts kept (redeliveries included), and the seconds from its start to its last new fact."""

    events: int
    seconds: float


async def replay(
    con: asyncpg.Connection,
    settings: ServiceSettings,
    table: str,
    say: Callable[[str], None] = print,
    idle_s: float = IDLE_S,
) -> Replayed:
    """Read every topic from its beginning into `table` (shaped like the ledger), until every fact of the live
    ledger is in it and nothing new came for `idle_s`.

    Kafka is read on a thread of its own (prefetch.py) while batches are decoded here and written by the
    database. Each batch goes in with one COPY, or, when it holds a fact already there, through a staging table
    and INSERT ... ON CONFLICT DO NOTHING; the table's non-unique indexes are built once at the end. The facts
    still missing are counted by the database, never held in memory, so memory stays flat as the log grows.
    """
    producers = {t.name: t.producer for t in declared_topics(settings.topic_prefix)}
    consumer = ThreadedFetcher(
        lambda: AIOKafkaConsumer(
            *producers,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            **aiokafka_options(settings.kafka_security),
        )
    )
    # The replay writes on a connection of its own: plain JSONB codecs (COPY speaks binary; our pooled connections
    # decode JSONB as Python objects, in text) and no wait for each batch's WAL flush: the rebuilt table is read
    # by no one until the switch, whose own commit is flushed (every earlier one with it, the WAL being written
    # in order). A crash before it means rebuilding again, as it would anyway.
    writer = await asyncpg.connect(settings.database_url, server_settings={"synchronous_commit": "off"})
    staging = f"{table}_batch"
    await writer.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {LEDGER} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    columns = ", ".join(LEDGER_COLUMNS)
    deduped = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT (event_id) DO NOTHING"
    missing = (
        f"SELECT count(*) FROM {LEDGER} l WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE r.event_id = l.event_id)"
    )
    deferred = await _defer_secondary_indexes(con, table)
    consumer.start()
    count, started = 0, time.monotonic()
    last_new = last_said = last_checked = started
    writing: asyncio.Task | None = None  # the previous batch's write, running while the next one is decoded

    async def write(rows: list[tuple]) -> None:
        nonlocal last_new
        try:
            # Nearly every batch is new facts only: one COPY straight into the table.
            async with writer.transaction():
                await writer.copy_records_to_table(table, records=rows, columns=LEDGER_COLUMNS)
            last_new = time.monotonic()
            return
        except asyncpg.UniqueViolationError:
            pass  # a fact delivered again (a relay's retry, a republish): this batch goes in deduplicated
        async with writer.transaction():
            await writer.copy_records_to_table(staging, records=rows, columns=LEDGER_COLUMNS)
            status = await writer.execute(deduped)
        if int(status.split()[-1]) > 0:
            last_new = time.monotonic()

    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            rows = []
            for records in batches.values():
                for record in records:
                    fast = fast_row(record, producers)
                    if fast is not None:
                        rows.append(fast)
                        continue
                    envelope, refusal = admit(record.topic, list(record.headers or ()), record.value, producers)
                    if envelope is None or refusal:
                        continue  # parked live, never counted: not counted here either
                    try:
                        *row, data = ledger_row(envelope)
                        rows.append((*row, json.dumps(data)))
                    except (pydantic.ValidationError, UnknownEventType):
                        continue  # its data does not fit the catalog: parked live, not counted
            if writing is not None:
                await writing  # one batch in flight at most: the database writes while Python decodes
                writing = None
            if rows:
                writing = asyncio.create_task(write(rows))
                count += len(rows)
            now = time.monotonic()
            if now - last_said > 2:
                say(f"{count} events, {count / (now - started):.0f} events/s")
                last_said = now
            if not rows and now - last_new > idle_s and now - last_checked > min(idle_s, 1.0):
                # Not from end offsets, which a broker may under-report: the live ledger says what must be there.
                last_checked = now
                still = await con.fetchval(missing)
                if not still:
                    break
                say(f"{still} live facts still to read")
                if now - last_new > 60:
                    raise RuntimeError(f"{still} facts of the live ledger are not on the topics any more")
        if writing is not None:
            await writing
            writing = None
        # Counted in the replay's time: the table is not rebuilt until its indexes are.
        building = time.monotonic()
        for definition in deferred:
            await con.execute(definition)
        last_new += time.monotonic() - building
    finally:
        if writing is not None:
            if sys.exc_info()[0] is None:
                await writing
            else:
                writing.cancel()
                with contextlib.suppress(BaseException):
                    await writing
        await consumer.stop()
        await writer.close()
    return Replayed(count, last_new - started)
