"""Commands through the HTTP API, and the outbox relay.

- Registrations (intake: eligibility, duplicates, the event, its outbox row, personal data, read model and
  idempotency key in one transaction) and meetings logged (tracking: the duo loaded from its stream, the
  meeting decided and appended) with 1 and 8 clients in a closed loop, over real HTTP to uvicorn servers
  (bench/services.py): rate, p50 and p99 latency. The duos are made known to tracking the way matching does it:
  DuoFormed CloudEvents on matching's topic.
- The relay: the rate at which a full outbox is published (from the committed rows to the broker's
  acknowledgement), and the latency of one event from its commit to the broker's acknowledgement.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx

from bench.appends import sample_event
from bench.common import Result, Servers, drop_database, fresh_database, percentile, scaled, unique
from bench.services import Running, mentee_body, running
from shared.events.catalog import DuoFormed
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.keyfiles import event_signer
from shared.events.wire import to_kafka
from shared.eventstore.base import NO_STREAM
from shared.eventstore.postgres import PostgresEventStore, apply_schema, create_pool
from shared.kafka import new_producer
from shared.outbox.relay import OutboxRelay
from shared.tenancy import Tenant
from shared.topics import TopicSpec, ensure_topics, topic_of

CLIENTS = (1, 8)
COMMANDS_AT_SCALE_1 = 2_000  # per run, per command, per client count
RELAY_EVENTS_AT_SCALE_1 = 20_000
RELAY_LATENCY_SAMPLES = 200


async def _closed_loop(clients: int, count: int, send) -> tuple[float, list[float], int]:
    """`count` commands from `clients` concurrent clients, each waiting for its answer before the next."""
    latencies: list[float] = []
    failures = 0
    queue = iter(range(count))

    async def client() -> None:
        nonlocal failures
        for n in queue:
            started = time.perf_counter()
            try:
                ok = await send(n)
            except httpx.HTTPError:  # refused or dropped under load: counted, never fatal
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return count / (time.perf_counter() - started), latencies, failures


async def _form_duos(services: Running, count: int) -> list[uuid.UUID]:
    """`count` duos known to tracking: DuoFormed on matching's topic, as matching publishes it."""
    duos = [uuid.uuid4() for _ in range(count)]
    signer = event_signer("matching").current()
    producer = new_producer(services.kafka)
    await producer.start()
    formed_on = date.today() - timedelta(days=30)
    try:
        sends = []
        for duo in duos:
            event = DuoFormed(
                duo_id=duo,
                proposal_id=uuid.uuid4(),
                mentee_id=uuid.uuid4(),
                mentor_id=uuid.uuid4(),
                province="Antwerpen",
                job_target_sector="Q",
                formed_on=formed_on,
                days_to_match=10,
                score=0.7,
                config_version="bench",
            )
            meta = EventMetadata(tenant=Tenant.BE, office="be-antwerpen", actor="bench")
            envelope = EventEnvelope.record(
                NewEvent(event, meta), f"proposal-{event.proposal_id}", 1, datetime.now(UTC)
            )
            key, value, headers = to_kafka(envelope, "matching")
            headers = signer.sign(headers, value)  # as matching's relay would have
            sends.append(await producer.send(topic_of("matching", services.prefix), value, key, headers=headers))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
    con = await asyncpg.connect(services.databases["tracking"])
    try:
        deadline = time.monotonic() + 120
        while await con.fetchval("SELECT count(*) FROM duos WHERE duo_id = ANY($1::uuid[])", duos) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("tracking did not learn the duos from DuoFormed within 120 s")
            await asyncio.sleep(0.1)
    finally:
        await con.close()
    return duos


async def _http(servers: Servers, result: Result, count: int, repeat: int) -> None:
    async with running(servers, ("intake", "tracking")) as services:
        duos = await _form_duos(services, count * len(CLIENTS) * repeat + 1)
        met_on = (date.today() - timedelta(days=1)).isoformat()
        meeting = {"met_on": met_on, "duration_minutes": 60, "mode": "online", "topics": ["job_search"]}
        async with services.client("intake") as intake, services.client("tracking") as tracking:
            # Warm: connections open, the first request's imports and caches paid.
            await intake.post("/mentees", json=mentee_body())
            await tracking.post(f"/duos/{duos.pop()}/meetings", json=meeting)
            for _ in range(repeat):
                for clients in CLIENTS:

                    async def register(_n: int) -> bool:
                        return (await intake.post("/mentees", json=mentee_body())).status_code == 201

                    mine = [duos.pop() for _ in range(count)]

                    async def log_meeting(n: int, mine: list[uuid.UUID] = mine) -> bool:
                        answer = await tracking.post(f"/duos/{mine[n]}/meetings", json=meeting)
                        return answer.status_code == 201

                    for name, send in (("registration", register), ("meeting logged", log_meeting)):
                        rate, latencies, failures = await _closed_loop(clients, count, send)
                        ms = [x * 1000 for x in latencies]
                        label = f"{name}, {clients} client(s)"
                        result.figure(f"{label}: rate", "commands/s").add(rate)
                        result.figure(f"{label}: p50", "ms", False).add(percentile(ms, 50))
                        result.figure(f"{label}: p99", "ms", False).add(percentile(ms, 99))
                        result.figure(f"{label}: failed", "commands", False).add(failures)


async def _write(store: PostgresEventStore, meta: EventMetadata, count: int) -> None:
    for _ in range(count):
        event = sample_event()
        await store.append(f"mentee-{event.mentee_id}", NO_STREAM, [NewEvent(event, meta)])


async def _relay(servers: Servers, result: Result, events: int, repeat: int) -> None:
    for _ in range(repeat):
        url = await fresh_database(servers, "bench_relay")
        pool = await create_pool(url, min_size=8, max_size=8)
        try:
            await apply_schema(pool)
            store = PostgresEventStore(pool)
            meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="bench")

            await asyncio.gather(*(_write(store, meta, events // 8) for _ in range(8)))
            written = events // 8 * 8
            topic = unique("bench_relay")
            await ensure_topics(servers.kafka_bootstrap, [TopicSpec(topic, "intake", 6, 1)])
            relay = OutboxRelay(url, servers.kafka_bootstrap, topic, "intake")
            started = time.perf_counter()
            task = asyncio.create_task(relay.run())
            try:
                while relay.published < written:
                    await asyncio.sleep(0.002)
                result.figure("relay, full outbox to broker acknowledgement", "events/s").add(
                    written / (time.perf_counter() - started)
                )
                latencies = []
                for _ in range(RELAY_LATENCY_SAMPLES):
                    before = relay.published
                    event = sample_event()
                    await store.append(f"mentee-{event.mentee_id}", NO_STREAM, [NewEvent(event, meta)])
                    committed = time.perf_counter()
                    while relay.published == before:
                        await asyncio.sleep(0.0002)
                    latencies.append((time.perf_counter() - committed) * 1000)
                result.figure("relay, one event from commit to ack: p50", "ms", False).add(percentile(latencies, 50))
                result.figure("relay, one event from commit to ack: p99", "ms", False).add(percentile(latencies, 99))
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        finally:
            await pool.close()
            await drop_database(servers, url)


async def _measure(servers: Servers, scale: float, repeat: int) -> Result:
    result = Result("commands")
    count = scaled(COMMANDS_AT_SCALE_1, scale, least=16)
    relay_events = scaled(RELAY_EVENTS_AT_SCALE_1, scale, least=80)
    await _http(servers, result, count, repeat)
    await _relay(servers, result, relay_events, repeat)
    result.notes = {"commands_per_run": count, "relay_events_per_run": relay_events // 8 * 8}
    return result


def measure(servers: Servers, scale: float = 1.0, repeat: int = 3) -> Result:
    return asyncio.run(_measure(servers, scale, repeat))
