"""Errors sorted right (invalid messages parked, transient failures retried, persistent ones parked after N
attempts) and an honest /health (ok, degraded with a reason, failing with 503)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from faststream.kafka import KafkaBroker

from bench.common import free_port
from services.reporting.app import create_app
from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.consuming.consumer import Consumer
from shared.consuming.idempotent import IdempotentConsumer
from shared.consuming.ordered import OrderedConsumer, ordered_consumer_ddl
from shared.consuming.progress import ConsumerProgress
from shared.consuming.subscriber import replay_parked_messages, subscribe
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.health import BrokerProbe, decide, gather_checks
from shared.kafka import new_producer
from shared.tenancy import Tenant
from tests.auth import VERIFIER, bearer
from tests.conftest import eventually, unique
from tests.signing import keyring, signed_kafka

pytestmark = pytest.mark.integration

EFFECT_DDL = "CREATE TABLE effects (event_id UUID PRIMARY KEY, applied INT NOT NULL)"
KEY = b"one-partition"  # every message of a test on one partition, in the order sent


async def count_effect(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await con.execute(
        "INSERT INTO effects VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
        envelope.event_id,
    )


def registered(office: str = "fr-lyon", tenant: Tenant = Tenant.FR) -> EventEnvelope:
    event = MenteeRegistered(mentee_id=uuid.uuid4())
    meta = EventMetadata(tenant=tenant, office=office, actor="test")
    return EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 1, utc_now())


Message = tuple[bytes | None, list[tuple[str, bytes]]]


def message(envelope: EventEnvelope, **header_changes: bytes) -> Message:
    _key, value, headers = signed_kafka(envelope, "intake")
    return value, [(k, header_changes.get(k, v)) for k, v in headers]


async def send(bootstrap: str, topic: str, messages: list[Message]) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=KEY, headers=headers)
    finally:
        await producer.stop()


async def applied(pool: asyncpg.Pool) -> dict[uuid.UUID, int]:
    async with pool.acquire() as con:
        return {row["event_id"]: row["applied"] for row in await con.fetch("SELECT event_id, applied FROM effects")}


async def consuming(
    infra, database_url: str, topic: str, consumer: Consumer, check: Callable[[], Awaitable[bool]], what: str, **options
) -> ConsumerProgress:
    """Run a subscriber for `consumer` until `check` holds; its progress."""
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500
    )
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    progress, _, _ = subscribe(broker, settings, consumer, {topic: "intake"}, keyring=keyring(), **options)
    await broker.start()
    try:
        await eventually(check, 60, what)
    finally:
        await broker.stop()
    return progress


async def test_messages_that_are_no_valid_event_are_parked_with_their_reason_and_the_rest_flows(
    pool, database_url, topic, infra
):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    good = registered()
    await send(
        infra.kafka_bootstrap,
        topic,
        [
            (b"not a cloud event", [("source", b"somewhere")]),
            message(registered(), ce_type=b"MenteeTeleported"),
            message(registered(), ce_tenant=b"XX"),
            (None, message(registered())[1]),  # a tombstone: no value, though its content-type says JSON
            (b"{not json", message(registered())[1]),
            message(registered(), ce_id=b"\xff\xfe"),  # FastStream itself cannot read such a header
            message(good),
        ],
    )
    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": count_effect})

    async def good_applied() -> bool:
        return await applied(pool) == {good.event_id: 1}

    progress = await consuming(infra, database_url, topic, consumer, good_applied, "the good event applied")
    async with pool.acquire() as con:
        rows = await con.fetch('SELECT * FROM parked_messages ORDER BY "offset"')
        events_parked = await con.fetchval("SELECT count(*) FROM parked_events")
    assert [row["reason"] for row in rows] == [
        "malformed_envelope: no ce_specversion header",
        "unknown_event_type: 'MenteeTeleported' is not in the catalog",
        "unknown_branch: the tenant is not a branch of the platform",
        "malformed_envelope: no value",
        "malformed_envelope: the value is not JSON",
        "malformed_envelope: a header is not UTF-8",
    ]
    assert {row["consumer"] for row in rows} == {consumer.name} and {row["topic"] for row in rows} == {topic}
    assert [row["offset"] for row in rows] == sorted({row["offset"] for row in rows})
    assert rows[0]["value"] == b"not a cloud event" and rows[0]["headers"] == [["source", "somewhere"]]
    assert events_parked == 0
    assert (progress.applied, progress.parked, progress.processed) == (1, 6, 7)
    [partition] = progress.partitions.values()
    assert partition.offset == rows[0]["offset"] + 6 and partition.lag_hint == 0

    # Replayed, still invalid: they stay parked, nothing is applied twice.
    assert await replay_parked_messages(pool, consumer, {topic: "intake"}, keyring()) == (0, 6)
    assert await applied(pool) == {good.event_id: 1}


async def test_an_effect_that_keeps_failing_is_parked_after_n_attempts_and_the_partition_moves_on(
    pool, database_url, topic, infra
):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    poison, *later = [registered() for _ in range(4)]
    attempts: list[uuid.UUID] = []
    broken = {poison.event_id}

    async def fails_for_the_poison(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        if envelope.event_id in broken:
            attempts.append(envelope.event_id)
            raise RuntimeError("a bug in the effect")
        await count_effect(con, envelope)

    await send(infra.kafka_bootstrap, topic, [message(e) for e in [poison, *later]])
    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": fails_for_the_poison})

    async def later_applied() -> bool:
        return await applied(pool) == dict.fromkeys((e.event_id for e in later), 1)

    progress = await consuming(
        infra, database_url, topic, consumer, later_applied, "the later events applied", attempts=3, pause_s=0.05
    )
    # Tried once within its batch (which then changed nothing), then alone: failed 3 times, then parked.
    assert attempts == [poison.event_id] * 4
    async with pool.acquire() as con:
        parked = await con.fetch("SELECT event_id, reason FROM parked_events")
    assert [(r["event_id"], r["reason"]) for r in parked] == [(poison.event_id, "failed_3_times: RuntimeError")]
    assert (progress.failures, progress.last_failure, progress.parked) == (3, "RuntimeError", 1)

    broken.clear()  # the bug is fixed: the parked event is replayed through the consumer
    assert await consumer.replay_parked() == (1, 0)
    assert (await applied(pool))[poison.event_id] == 1


FK_DDL = """
CREATE TABLE mentees (mentee_id UUID PRIMARY KEY);
CREATE TABLE registrations (event_id UUID PRIMARY KEY, mentee_id UUID NOT NULL REFERENCES mentees);
"""


async def register(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await con.execute(
        "INSERT INTO registrations VALUES ($1, $2)", envelope.event_id, uuid.UUID(envelope.data["mentee_id"])
    )


async def test_a_row_that_has_not_arrived_yet_is_retried_and_applied_once_not_parked(pool, database_url, topic, infra):
    async with pool.acquire() as con:
        await con.execute(FK_DDL)
    event = registered()
    attempts: list[str] = []

    async def tries(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        try:
            await register(con, envelope)
        except asyncpg.ForeignKeyViolationError:
            attempts.append("refused")
            raise
        attempts.append("applied")

    await send(infra.kafka_bootstrap, topic, [message(event)])
    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": tries})

    async def arrives_after_two_refusals() -> bool:
        if attempts.count("refused") >= 2:
            async with pool.acquire() as con:  # the row it refers to arrives (from another topic, say)
                await con.execute(
                    "INSERT INTO mentees VALUES ($1) ON CONFLICT DO NOTHING", uuid.UUID(event.data["mentee_id"])
                )
        return "applied" in attempts

    progress = await consuming(
        infra, database_url, topic, consumer, arrives_after_two_refusals, "the event applied", pause_s=0.2
    )
    assert attempts[-1] == "applied" and attempts.count("applied") == 1 and attempts.count("refused") >= 2
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM registrations") == 1
        assert await con.fetchval("SELECT count(*) FROM parked_events") == 0
    assert progress.parked == 0 and progress.last_failure == "ForeignKeyViolationError"


async def test_a_foreign_key_violation_propagates_from_both_consumers_instead_of_parking(pool):
    async with pool.acquire() as con:
        await con.execute(FK_DDL)
        await con.execute(ordered_consumer_ddl())
    for consumer in (
        IdempotentConsumer(pool, "by-id", {"MenteeRegistered": register}),
        OrderedConsumer(pool, "in-order", {"MenteeRegistered": register}),
    ):
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await consumer.handle(registered())
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM parked_events") == 0
        assert await con.fetchval("SELECT count(*) FROM processed_events") == 0


async def test_a_consumer_with_waiting_messages_and_no_progress_is_failing(pool, database_url, topic, infra):
    async with pool.acquire() as con:
        await con.execute(EFFECT_DDL)
    first, *rest = [registered() for _ in range(3)]
    release = asyncio.Event()

    async def hangs_on_the_first(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        if envelope.event_id == first.event_id:
            await release.wait()  # a lock that is never granted, say
        await count_effect(con, envelope)

    await send(infra.kafka_bootstrap, topic, [message(e) for e in [first, *rest]])
    consumer = IdempotentConsumer(pool, unique("group"), {"MenteeRegistered": hangs_on_the_first})
    probe = BrokerProbe(infra.kafka_bootstrap)
    stall_after_s = 1.0
    health: dict = {}

    async def look() -> None:
        checks = await gather_checks(pool, probe, False, [progress])
        health["status"], health["reasons"] = decide(checks, utc_now(), stall_after_s)
        health["checks"] = checks

    async def stalled() -> bool:
        await look()
        return health["status"] == "failing"

    async def all_applied() -> bool:
        release.set()
        return len(await applied(pool)) == 3

    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=500
    )
    broker = KafkaBroker(infra.kafka_bootstrap, logger=None)
    progress, _, _ = subscribe(broker, settings, consumer, {topic: "intake"}, keyring=keyring())
    await broker.start()
    try:
        await eventually(stalled, 60, "the stalled consumer reported failing")
        [reason] = health["reasons"]
        assert reason.startswith(f"consumer {consumer.name} is stalled: 3 messages wait")
        [partition] = health["checks"].consumers[0].partitions
        assert partition.last_offset is None and partition.lag_hint == 3 and partition.assigned is True
        await eventually(all_applied, 60, "the consumer moving on once released")
        await look()
        assert health["status"] == "ok" and health["checks"].consumers[0].partitions[0].lag_hint == 0
    finally:
        await broker.stop()
        await probe.close()


async def test_health_of_a_running_reporting_app(infra, database_url):
    prefix = unique("p") + "."
    settings = ServiceSettings(
        "reporting",
        database_url,
        infra.kafka_bootstrap,
        kafka_session_timeout_ms=2000,
        topic_prefix=prefix,
        token_verifier=VERIFIER,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client,
    ):
        answer = await client.get("/health")
        assert answer.status_code == 200, answer.text
        health = answer.json()
        assert (health["service"], health["status"], health["reasons"]) == ("reporting", "ok", [])
        assert health["outbox_pending"] == 0 and health["checks"]["outbox"] is None  # reporting publishes nothing
        assert health["checks"]["database"]["reachable"] and health["checks"]["broker"]["reachable"]
        [ledger] = health["checks"]["consumers"]
        assert (ledger["applied_since_start"], ledger["parked_events"], ledger["parked_messages"]) == (0, 0, 0)

        good = registered("be-gent", Tenant.BE)
        await send(infra.kafka_bootstrap, prefix + "duo.intake.events", [(b"{}", []), message(good)])

        async def degraded() -> dict | None:
            body = (await client.get("/health")).json()
            ledger = body["checks"]["consumers"][0]
            return body if body["status"] == "degraded" and ledger["applied_since_start"] == 1 else None

        async def settled() -> bool:
            return await degraded() is not None

        await eventually(settled, 60, "the invalid message parked and the genuine event applied")
        answer = await client.get("/health")
        assert answer.status_code == 200
        health = answer.json()
        [reason] = health["reasons"]
        assert "parked" in reason and ledger["name"] in reason
        [ledger] = health["checks"]["consumers"]
        assert ledger["parked_messages"] == 1 and ledger["last_applied_at"] is not None
        assert [(p["topic"], p["lag_hint"]) for p in ledger["partitions"]] == [(prefix + "duo.intake.events", 0)]

        await app.state.runtime.pool.close()  # the database out of reach
        answer = await client.get("/health")
        assert answer.status_code == 503
        health = answer.json()
        assert health["status"] == "failing" and health["service"] == "reporting"
        assert health["reasons"][0].startswith("the database is unreachable")
        assert health["checks"]["database"]["reachable"] is False


TXID_DDL = "CREATE TABLE effects_tx (event_id UUID PRIMARY KEY, txid BIGINT NOT NULL)"


async def note_transaction(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    await con.execute("INSERT INTO effects_tx VALUES ($1, txid_current())", envelope.event_id)


@pytest.mark.parametrize("kind", ["idempotent", "ordered"])
async def test_what_one_fetch_brings_is_applied_in_one_transaction(pool, database_url, topic, infra, kind):
    async with pool.acquire() as con:
        await con.execute(TXID_DDL)
        await con.execute(ordered_consumer_ddl())
    events = [registered() for _ in range(200)]
    await send(infra.kafka_bootstrap, topic, [message(e) for e in events])
    cls = IdempotentConsumer if kind == "idempotent" else OrderedConsumer
    consumer = cls(pool, unique("group"), {"MenteeRegistered": note_transaction})

    async def all_applied() -> bool:
        async with pool.acquire() as con:
            return await con.fetchval("SELECT count(*) FROM effects_tx") == len(events)

    progress = await consuming(infra, database_url, topic, consumer, all_applied, "the 200 events applied")
    async with pool.acquire() as con:
        transactions = await con.fetchval("SELECT count(DISTINCT txid) FROM effects_tx")
    # One transaction per event would be 200; a fetch brings many (up to 500), applied together.
    assert transactions <= 20, transactions
    assert progress.applied == len(events)


async def test_readiness_is_the_database_answering_not_a_stalled_consumer(infra, database_url):
    """A consumer stalled (its table locked by someone else): /health fails (503), /health/ready stays 200, on every
    replica alike; only the database out of reach makes the replica unready."""
    prefix = unique("p") + "."
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, kafka_session_timeout_ms=2000, topic_prefix=prefix
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client,
    ):
        ready = await client.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True, ready.text
        app.state.runtime.stall_after_s = 1.0
        locker = await asyncpg.connect(database_url)
        try:
            locked = locker.transaction()
            await locked.start()
            await locker.execute("LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE")
            await send(infra.kafka_bootstrap, prefix + "duo.intake.events", [message(registered("be-gent", Tenant.BE))])

            async def failing() -> bool:
                return (await client.get("/health")).status_code == 503

            await eventually(failing, 60, "the stalled consumer making /health fail")
            assert "is stalled" in " ".join((await client.get("/health")).json()["reasons"])
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            await locked.rollback()
        finally:
            await locker.close()

        await app.state.runtime.pool.close()  # the database out of reach
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert ready.json()["database"]["reachable"] is False


async def test_the_dashboards_health_panel_lists_the_configured_services_once_each(infra, database_url, monkeypatch):
    """DUO_SERVICE_URLS as `duo run` sets it (reporting included): reporting once, from its own checks, then the
    others in the configured order; one out of reach says so."""
    prefix = unique("p") + "."
    settings = ServiceSettings(
        "reporting", database_url, infra.kafka_bootstrap, topic_prefix=prefix, token_verifier=VERIFIER
    )
    closed = f"http://127.0.0.1:{free_port()}"
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client,
    ):
        monkeypatch.setenv("DUO_SERVICE_URLS", f"tracking={closed},reporting=http://reporting,intake={closed}")
        answer = await client.get("/coordination", headers=bearer("BE"))
        assert answer.status_code == 200, answer.text
        health = answer.json()["health"]
        assert [s["service"] for s in health["services"]] == ["reporting", "tracking", "intake"]
        assert health["services"][0]["status"] == "ok" and health["others_configured"] is True
        assert {s["status"] for s in health["services"][1:]} == {"unreachable"}
        assert health["age_s"] >= 0 and health["checked_at"]  # a shared look, its age said (health_snapshot.py)
