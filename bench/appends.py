"""Append throughput: our event store (asyncpg) against the `eventsourcing` library's PostgreSQL recorder.

Both on the same server, each on a fresh database of its own, with the same events and the same stream layout:
every writer appends to streams of its own, one event per transaction (what a command does), each stream
growing to STREAM_LENGTH events, with the expected version checked (ours: `append`'s expected version; the
library's: the primary key on (originator_id, originator_version)). The payload is a MenteeRegistered's data;
the library stores the same JSON as its `state`. Ours writes an outbox row and a NOTIFY with each event; the
library takes its table lock and sends its NOTIFY. Runs alternate, ours then the library, per writer count.
A third figure is the floor: a bare INSERT per durable commit (no version check, no outbox), which no store
writing one event per commit can pass; its ratio to the library is the highest ratio reachable here.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlparse

import asyncpg

from bench.common import Result, Servers, at_least, drop_database, fresh_database, scaled
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.postgres import OUTBOX_CHANNEL, PostgresEventStore, apply_schema, create_pool
from shared.eventstore.wakeup import OutboxWakeup
from shared.tenancy import Tenant

EVENTS_AT_SCALE_1 = 20_000  # per run, per store, per writer count
STREAM_LENGTH = 5
WRITERS = (1, 8)
TARGET_RATIO = 3.0


def sample_event() -> MenteeRegistered:
    return MenteeRegistered(
        mentee_id=uuid.uuid4(),
        job_target_sector="Q",
        languages=("nl", "fr", "en"),
        weekly_availability_hours=4,
        available_day_parts=("mon-evening", "sat-morning"),
        age_band="25-29",
        consents=("data_processing", "voluntary_participation"),
    )


def _plan(events: int, writers: int) -> list[int]:
    """Events per writer: whole streams, the same for both stores."""
    streams = max(1, events // (writers * STREAM_LENGTH))
    return [streams * STREAM_LENGTH] * writers


async def _ours(url: str, per_writer: list[int]) -> float:
    pool = await create_pool(url, min_size=len(per_writer), max_size=len(per_writer))
    try:
        await apply_schema(pool)
        # As a service's runtime makes it: the relay is woken after each commit (shared/eventstore/wakeup.py).
        wakeup = OutboxWakeup(url, OUTBOX_CHANNEL)
        store = PostgresEventStore(pool, wakeup=wakeup)
        meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="bench")

        async def writer(count: int) -> None:
            for n in range(count // STREAM_LENGTH):
                event = sample_event()
                stream = f"mentee-{event.mentee_id}"
                for version in range(STREAM_LENGTH):
                    await store.append(stream, version, [NewEvent(event, meta)])
                del n

        started = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in per_writer))
        rate = sum(per_writer) / (time.perf_counter() - started)
        await wakeup.close()
        return rate
    finally:
        await pool.close()


async def _floor(url: str, per_writer: list[int]) -> float:
    """The floor of any store that writes one event per durable commit: a bare INSERT of the same payload per
    statement, no version check, no outbox, no pool, on one asyncpg connection per writer."""
    connections = [await asyncpg.connect(url) for _ in per_writer]
    try:
        await connections[0].execute(
            "CREATE TABLE bare (position bigserial PRIMARY KEY, stream text NOT NULL, version int NOT NULL, data jsonb)"
        )
        data = json.dumps(sample_event().model_dump(mode="json"))

        async def writer(con: asyncpg.Connection, count: int) -> None:
            for n in range(count):
                await con.execute("INSERT INTO bare (stream, version, data) VALUES ($1, $2, $3::jsonb)", "s", n, data)

        started = time.perf_counter()
        await asyncio.gather(*(writer(con, c) for con, c in zip(connections, per_writer, strict=True)))
        return sum(per_writer) / (time.perf_counter() - started)
    finally:
        for con in connections:
            await con.close()


def _library(url: str, per_writer: list[int]) -> float:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parts = urlparse(url)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        pool_size=len(per_writer),
    )
    try:
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        state = json.dumps(sample_event().model_dump(mode="json")).encode()
        errors: list[BaseException] = []

        def writer(count: int) -> None:
            try:
                for _ in range(count // STREAM_LENGTH):
                    stream = uuid.uuid4()
                    for version in range(1, STREAM_LENGTH + 1):
                        recorder.insert_events([StoredEvent(stream, version, "MenteeRegistered", state)])
            except BaseException as err:  # surfaced after the run
                errors.append(err)

        threads = [threading.Thread(target=writer, args=(c,)) for c in per_writer]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise errors[0]
        return sum(per_writer) / elapsed
    finally:
        datastore.close()


async def _measure(servers: Servers, scale: float, repeat: int) -> Result:
    result = Result("appends")
    events = scaled(EVENTS_AT_SCALE_1, scale, least=STREAM_LENGTH * max(WRITERS))
    for _ in range(repeat):
        for writers in WRITERS:
            per_writer = _plan(events, writers)
            ours_url = await fresh_database(servers, "bench_ours")
            lib_url = await fresh_database(servers, "bench_lib")
            floor_url = await fresh_database(servers, "bench_floor")
            try:
                ours = await _ours(ours_url, per_writer)
                library = await asyncio.to_thread(_library, lib_url, per_writer)
                floor = await _floor(floor_url, per_writer)
            finally:
                for url in (ours_url, lib_url, floor_url):
                    await drop_database(servers, url)
            result.figure(f"ours, {writers} writer(s)", "events/s").add(ours)
            result.figure(f"eventsourcing, {writers} writer(s)", "events/s").add(library)
            result.figure(f"ratio ours/library, {writers} writer(s)", "x").add(ours / library)
            # What no store writing one event per durable commit can pass: the highest ratio reachable here.
            result.figure(f"bare INSERT per commit (floor), {writers} writer(s)", "events/s").add(floor)
            result.figure(f"ratio floor/library, {writers} writer(s)", "x").add(floor / library)
            result.figure(f"ratio ours/floor, {writers} writer(s)", "x").add(ours / floor)
    for writers in WRITERS:
        ratio = result.median(f"ratio ours/library, {writers} writer(s)")
        result.targets.append(
            at_least(f"appends {writers} writer(s) vs eventsourcing", ratio, TARGET_RATIO, "x", "the library's rate")
        )
    result.notes = {
        "events_per_run": sum(_plan(events, 8)),
        "stream_length": STREAM_LENGTH,
        "one_event_per_transaction": True,
        "payload_bytes": len(json.dumps(sample_event().model_dump(mode="json"))),
        "library": _library_version(),
    }
    return result


def _library_version() -> dict[str, Any]:
    from importlib.metadata import version

    import psycopg

    return {
        "eventsourcing": version("eventsourcing"),
        "psycopg": version("psycopg"),
        "psycopg_impl": psycopg.pq.__impl__,
    }


def measure(servers: Servers, scale: float = 1.0, repeat: int = 3) -> Result:
    return asyncio.run(_measure(servers, scale, repeat))
