"""Rebuild the projection from the log: replay every topic from its beginning into a fresh ledger, show
progress, compare its figures with the live ones, then switch over atomically.

The live projection keeps answering until the switch. Facts the live consumer applied while the
rebuild ran are carried into the new ledger at the switch (a fact is a fact: the union is exact).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import asyncpg
import pydantic
from aiokafka import AIOKafkaConsumer

from services.reporting.adapters.projection import LEDGER, ledger_writer, programme
from services.reporting.domain.report import Slice, figures
from shared.config import ServiceSettings
from shared.consuming.subscriber import admit
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
        live = {r["event_id"] for r in await con.fetch(f"SELECT event_id FROM {LEDGER}")}
        replayed = await _replay(con, settings, live, say)
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


async def _replay(con: asyncpg.Connection, settings: ServiceSettings, live: set, say: Callable[[str], None]) -> int:
    producers = {t.name: t.producer for t in declared_topics(settings.topic_prefix)}
    consumer = AIOKafkaConsumer(
        *producers,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **aiokafka_options(settings.kafka_security),
    )
    keep = ledger_writer(REBUILD)
    await consumer.start()
    seen: set = set()
    count, started, last_new, last_said = 0, time.monotonic(), time.monotonic(), 0.0
    try:
        # Not from end offsets, which a broker may under-report: the live ledger says what must be there.
        while not (live <= seen and time.monotonic() - last_new > IDLE_S):
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            async with con.transaction():
                for records in batches.values():
                    for record in records:
                        envelope, refusal = admit(record.topic, list(record.headers or ()), record.value, producers)
                        if envelope is None or refusal:
                            continue  # parked live, never counted: not counted here either
                        try:
                            await keep(con, envelope)
                        except pydantic.ValidationError:
                            continue  # its data does not fit the catalog: parked live, not counted
                        count += 1
                        if envelope.event_id not in seen:
                            seen.add(envelope.event_id)
                            last_new = time.monotonic()
            if time.monotonic() - last_said > 2:
                elapsed = time.monotonic() - started
                say(f"{count} events, {count / elapsed:.0f} events/s, {len(live - seen)} live facts still to read")
                last_said = time.monotonic()
            if time.monotonic() - last_new > 60 and not live <= seen:
                raise RuntimeError(f"{len(live - seen)} facts of the live ledger are not on the topics any more")
    finally:
        await consumer.stop()
    return count
