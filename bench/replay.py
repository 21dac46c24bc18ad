"""Replay: reporting's projection rebuild from the log against a raw aiokafka read of the same topics.

N CloudEvents (scale 1: 1,000,000) are written straight to the platform's topics under a fresh prefix by one
fast producer (shared/events/wire.py to_kafka, shared/kafka.py new_producer), signed with each service's key
(shared/events/signing.py) as the relays would have: a mix
of intake's registrations, matching's duos and tracking's meetings. Then, each in a fresh child process (so
its peak resident memory is its own):
- ours: `services.reporting.adapters.rebuild.replay` into a fresh table shaped like the ledger (what
  `duo projection rebuild reporting` does before comparing figures and switching over);
- raw: an AIOKafkaConsumer reading every record of the same topics and doing nothing with them.
Both first at N/4 events, then at N (the log grown by 3N/4): the peak memory at both sizes says whether it is
flat as the log grows.

The live ledger holds every fact written, with the keyed digest of its message, as reporting's live consumer keeps
them once it verified them (docs/adr/0033); so a replay reads until it has them all (not only until an idle wait
a loaded machine can cut short), and verifies no signature again. Last, one rebuild at N with the digests
forgotten (as for a ledger kept before migration 19) verifies every message: the rebuild as it was before.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import Result, Servers, at_least, at_most, fresh_database, in_child, peak_rss_mb, scaled, unique
from services.reporting.adapters.projection import ledger_row
from shared.events.catalog import DuoFormed, MeetingLogged, MenteeRegistered, MentorRegistered, SectorExperience
from shared.events.envelope import EventEnvelope
from shared.events.keyfiles import event_signer
from shared.events.wire import to_kafka
from shared.kafka import new_producer
from shared.tenancy import Tenant
from shared.topics import declared_topics, ensure_topics, topic_of

EVENTS_AT_SCALE_1 = 1_000_000
RAW_TARGET = 0.5  # our replay rate against the raw read's
WITH_READ_MODELS_TARGET = 0.4  # the replay and the read models' build together (issue 21)
MEMORY_GROWTH_LIMIT = 1.2  # peak memory at N against N/4: "flat" allows 20% (allocator noise, fetch buffers)


def _templates() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(service, event type, id field, data) of the mix, in proportion: 4 registrations, 1 mentor, 1 duo, 4
    meetings in every 10 events."""
    mentee = MenteeRegistered(
        mentee_id=uuid.uuid4(),
        job_target_sector="Q",
        languages=("nl", "fr", "ar"),
        weekly_availability_hours=4,
        available_day_parts=("mon-evening", "sat-morning"),
        age_band="25-29",
        consents=("data_processing", "voluntary_participation"),
    )
    mentor = MentorRegistered(
        mentor_id=uuid.uuid4(),
        sectors=("M",),
        experience=(SectorExperience(sector="M", years=20),),
        languages=("nl", "en"),
        capacity=2,
        age_band="60-64",
    )
    duo = DuoFormed(
        duo_id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        mentee_id=uuid.uuid4(),
        mentor_id=uuid.uuid4(),
        province="Antwerpen",
        job_target_sector="Q",
        formed_on=date(2026, 10, 1),
        days_to_match=20,
        score=0.8,
        config_version="2026.1",
    )
    meeting = MeetingLogged(
        duo_id=uuid.uuid4(), met_on=date(2026, 10, 8), duration_minutes=90, mode="in_person", topics=("job_search",)
    )
    one = [
        ("intake", mentee.event_type, "mentee_id", mentee.model_dump(mode="json")),
        ("intake", mentor.event_type, "mentor_id", mentor.model_dump(mode="json")),
        ("matching", duo.event_type, "duo_id", duo.model_dump(mode="json")),
        ("tracking", meeting.event_type, "duo_id", meeting.model_dump(mode="json")),
    ]
    return [one[0]] * 4 + [one[1], one[2]] + [one[3]] * 4


def _message(templates: list[tuple[str, str, str, dict[str, Any]]], n: int) -> tuple[str, bytes, bytes, list, tuple]:
    """The n-th event of the mix as its service publishes it, unsigned, and its ledger row: (service, key, value,
    headers, row)."""
    service, event_type, id_field, data = templates[n % len(templates)]
    subject = uuid.uuid4()
    moment = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(seconds=n)
    envelope = EventEnvelope.model_construct(
        global_position=None,
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id=f"{id_field.removesuffix('_id')}-{subject}",
        stream_version=1,
        tenant=Tenant.BE,
        office="be-antwerpen",
        occurred_at=moment,
        recorded_at=moment,
        actor="bench",
        correlation_id=uuid.uuid4(),
        causation_id=None,
        chain_hash=None,
        data=data | {id_field: str(subject)},
    )
    *row, data = ledger_row(envelope)
    return (service, *to_kafka(envelope, service), (*row, json.dumps(data)))


async def generate(kafka: str, prefix: str, count: int, start: int = 0, database_url: str | None = None) -> float:
    """Write `count` events to the topics under `prefix`, and their facts to the ledger of `database_url` when given,
    each with its keyed digest as reporting's live consumer keeps it; returns the events per second written."""
    from services.reporting.adapters.projection import LEDGER_COLUMNS
    from services.reporting.adapters.verified_once import DIGEST_COLUMN, digest_key, keyed
    from shared.events.signing import verified_form_digest

    digest_key_bytes = digest_key()
    columns = [*LEDGER_COLUMNS, DIGEST_COLUMN]

    templates = _templates()
    topics = {service: topic_of(service, prefix) for service in ("intake", "matching", "tracking")}
    signers = {service: event_signer(service).current() for service in ("intake", "matching", "tracking")}
    producer = new_producer(kafka)
    con = await asyncpg.connect(database_url) if database_url else None
    await producer.start()
    started = time.perf_counter()
    try:
        pending, facts = [], []
        for n in range(start, start + count):
            service, key, value, headers, row = _message(templates, n)
            headers = signers[service].sign(headers, value)  # as the service's relay would have
            pending.append(await producer.send(topics[service], value=value, key=key, headers=headers))
            verified = verified_form_digest({name: raw.decode() for name, raw in headers}, value)
            facts.append((*row, keyed(digest_key_bytes, verified)))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                if con is not None:
                    await con.copy_records_to_table("ledger", records=facts, columns=columns)
                pending.clear()
                facts.clear()
        await asyncio.gather(*pending)
        if con is not None:
            await con.copy_records_to_table("ledger", records=facts, columns=columns)
    finally:
        await producer.stop()
        if con is not None:
            await con.close()
    return count / (time.perf_counter() - started)


def signing_costs(count: int) -> dict[str, float]:
    """CPU per event (us, this process's CPU time, so the machine's other load counts less than in a wall-clock
    rate): the relay's signature, a consumer's verification, and the rebuild's fast decode with its verification."""
    from aiokafka import ConsumerRecord
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from services.reporting.adapters.fast_rows import fast_row
    from shared.events.signing import Keyring, PublishedKey, SigningKey

    keys = {s: SigningKey(s, Ed25519PrivateKey.generate()) for s in ("intake", "matching", "tracking")}
    keyring = Keyring({k.key_id: PublishedKey(k.key_id, s, k.private_key.public_key(), "") for s, k in keys.items()})
    producers = {f"duo.{s}.events": s for s in keys}
    templates = _templates()
    messages = [_message(templates, n)[:4] for n in range(count)]
    started = time.process_time()
    signed = [(service, key, value, keys[service].sign(headers, value)) for service, key, value, headers in messages]
    sign_s = time.process_time() - started
    records = [
        ConsumerRecord(f"duo.{service}.events", 0, n, 0, 0, key, value, None, 0, 0, headers)
        for n, (service, key, value, headers) in enumerate(signed)
    ]
    readable = [(r.topic, {k: v.decode() for k, v in r.headers}, r.value) for r in records]
    started = time.process_time()
    refused = sum(
        keyring.refusal(topic, attributes, value, producers) is not None for topic, attributes, value in readable
    )
    verify_s = time.process_time() - started
    started = time.process_time()
    decoded = sum(fast_row(record, producers, keyring) is not None for record in records)
    decode_s = time.process_time() - started
    if refused or decoded != count:
        raise RuntimeError(f"signing costs: {refused} refused, {decoded} of {count} decoded")
    return {"sign": sign_s / count * 1e6, "verify": verify_s / count * 1e6, "decode": decode_s / count * 1e6}


def ours_child(database_url: str, kafka: str, prefix: str, idle_s: float) -> dict[str, float]:
    """In a child process: the rebuild's replay of every topic under `prefix` into a fresh ledger-shaped table, then
    its read models."""

    async def main() -> dict[str, float]:
        from services.reporting.adapters.projection import reporting_tables_ddl
        from services.reporting.adapters.rebuild import REBUILT_MODELS, build_read_models, replay
        from shared.config import ServiceSettings
        from shared.eventstore.postgres import init_connection

        con = await asyncpg.connect(database_url)
        try:
            await init_connection(con)
            await con.execute(reporting_tables_ddl())
            table = unique("bench_rebuild")
            await con.execute(f"CREATE TABLE {table} (LIKE ledger INCLUDING ALL)")
            settings = ServiceSettings("reporting", database_url, kafka, topic_prefix=prefix)
            replayed = await replay(con, settings, table, say=lambda _: None, idle_s=idle_s)
            stored = await con.fetchval(f"SELECT count(*) FROM {table}")
            # What the rebuild does next: the read models of the replayed ledger, set-based, on two connections
            # (rebuild.py), its CPU counted on both sides: this process's and its PostgreSQL backends' (the
            # embedded server, local).
            second = await asyncpg.connect(database_url)
            try:
                await init_connection(second)
                backends = [await c.fetchval("SELECT pg_backend_pid()") for c in (con, second)]
                python_cpu, postgres_cpu = time.process_time(), sum(map(backend_cpu_seconds, backends))
                read_models_seconds = await build_read_models(con, table, second)
                python_cpu = time.process_time() - python_cpu
                postgres_cpu = sum(map(backend_cpu_seconds, backends)) - postgres_cpu
            finally:
                await second.close()
            await con.execute(f"DROP TABLE {table}; DROP SCHEMA {REBUILT_MODELS} CASCADE")
        finally:
            await con.close()
        return {
            "events": replayed.events,
            "checked_in_full": replayed.checked_in_full,
            "stored": stored,
            "seconds": replayed.seconds,
            "read_models_seconds": read_models_seconds,
            "read_models_python_cpu": python_cpu,
            "read_models_postgres_cpu": postgres_cpu,
            "workers_peak_rss_mb": replayed.workers_peak_rss_mb,
        }

    cpu = time.process_time() + _children_cpu()
    figures = asyncio.run(main())
    # The replay's worker processes count too: their memory added to this one's, their CPU with it.
    return figures | {
        "peak_rss_mb": peak_rss_mb() + figures.pop("workers_peak_rss_mb"),
        "cpu_seconds": time.process_time() + _children_cpu() - cpu,
    }


def backend_cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a local PostgreSQL backend process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_child(kafka: str, prefix: str, expected: int) -> dict[str, float]:
    """In a child process: read every record of the topics under `prefix` with aiokafka, doing nothing with them."""

    async def main() -> dict[str, float]:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            *(t.name for t in declared_topics(prefix)),
            bootstrap_servers=kafka,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        started = time.monotonic()
        await consumer.start()
        count = 0
        try:
            while count < expected:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    count += len(records)
                if time.monotonic() - started > 600:
                    raise RuntimeError(f"read {count} of {expected} records in 10 minutes")
            return {"events": count, "seconds": time.monotonic() - started}
        finally:
            await consumer.stop()

    cpu = time.process_time()
    figures = asyncio.run(main())
    return figures | {"peak_rss_mb": peak_rss_mb(), "cpu_seconds": time.process_time() - cpu}


async def _prepare(servers: Servers) -> tuple[str, str]:
    from services.reporting.adapters.projection import reporting_tables_ddl

    prefix = unique("bench") + "."
    await ensure_topics(servers.kafka_bootstrap, declared_topics(prefix))
    database_url = await fresh_database(servers, "bench_reporting")
    con = await asyncpg.connect(database_url)
    try:
        await con.execute(reporting_tables_ddl())  # the live ledger, which `generate` fills
    finally:
        await con.close()
    return prefix, database_url


async def _forget_digests(database_url: str) -> None:
    """The live ledger as if reporting had kept its facts before migration 19: no digest of a verified message."""
    con = await asyncpg.connect(database_url)
    try:
        await con.execute("UPDATE ledger SET verified_digest = NULL")
    finally:
        await con.close()


def measure(servers: Servers, scale: float = 1.0, repeat: int = 3, idle_s: float = 3.0) -> Result:
    result = Result("replay")
    total = scaled(EVENTS_AT_SCALE_1, scale, least=400)
    quarter = total // 4
    prefix, database_url = asyncio.run(_prepare(servers))
    written = 0
    for size in (quarter, total):
        label = "N/4" if size == quarter else "N"
        rate = asyncio.run(generate(servers.kafka_bootstrap, prefix, size - written, written, database_url))
        written = size
        result.figure(f"generation ({label} step)", "events/s").add(rate)
        for _ in range(repeat):
            ours = in_child(ours_child, database_url, servers.kafka_bootstrap, prefix, idle_s)
            raw = in_child(raw_child, servers.kafka_bootstrap, prefix, size)
            result.figure(f"rebuild messages verified (not verified before), {label}", "events").add(
                ours["checked_in_full"]
            )
            result.figure(f"rebuild replay, {label}", "events/s").add(ours["events"] / ours["seconds"])
            result.figure(f"raw aiokafka read, {label}", "events/s").add(raw["events"] / raw["seconds"])
            result.figure(f"ratio replay/raw, {label}", "x").add(
                (ours["events"] / ours["seconds"]) / (raw["events"] / raw["seconds"])
            )
            with_models = ours["events"] / (ours["seconds"] + ours["read_models_seconds"])
            result.figure(f"rebuild replay and read models, {label}", "events/s").add(with_models)
            result.figure(f"ratio replay and read models/raw, {label}", "x").add(
                with_models / (raw["events"] / raw["seconds"])
            )
            result.figure(f"rebuild peak RSS, {label}", "MiB", higher_is_better=False).add(ours["peak_rss_mb"])
            result.figure(f"raw read peak RSS, {label}", "MiB", higher_is_better=False).add(raw["peak_rss_mb"])
            result.figure(f"rebuild facts stored, {label}", "events").add(ours["stored"])
            result.figure(f"rebuild CPU per event, {label}", "us", higher_is_better=False).add(
                ours["cpu_seconds"] / max(ours["events"], 1) * 1e6
            )
            result.figure(f"raw read CPU per event, {label}", "us", higher_is_better=False).add(
                raw["cpu_seconds"] / max(raw["events"], 1) * 1e6
            )
            for side in ("python", "postgres"):
                result.figure(f"read models' build CPU per event, {side}, {label}", "us", higher_is_better=False).add(
                    ours[f"read_models_{side}_cpu"] / max(ours["stored"], 1) * 1e6
                )
    # Last: the digests forgotten, every message verified (the rebuild before docs/adr/0033), once, at N.
    asyncio.run(_forget_digests(database_url))
    first = in_child(ours_child, database_url, servers.kafka_bootstrap, prefix, idle_s)
    first_rate = first["events"] / (first["seconds"] + first["read_models_seconds"])
    result.figure("rebuild verifying every message: replay, N", "events/s").add(first["events"] / first["seconds"])
    result.figure("rebuild verifying every message: replay and read models, N", "events/s").add(first_rate)
    result.figure("rebuild verifying every message: ratio replay and read models/raw, N", "x").add(
        first_rate / result.median("raw aiokafka read, N")
    )
    result.figure("rebuild verifying every message: CPU per event, N", "us", higher_is_better=False).add(
        first["cpu_seconds"] / max(first["events"], 1) * 1e6
    )
    result.figure("rebuild verifying every message: messages verified, N", "events").add(first["checked_in_full"])
    for _ in range(repeat):
        costs = signing_costs(min(total, 5_000))
        result.figure("relay signature CPU per event", "us", higher_is_better=False).add(costs["sign"])
        result.figure("consumer verification CPU per event", "us", higher_is_better=False).add(costs["verify"])
        result.figure("rebuild fast decode CPU per event, verification included", "us", higher_is_better=False).add(
            costs["decode"]
        )
    result.targets.append(
        at_least("replay vs raw aiokafka (N)", result.median("ratio replay/raw, N"), RAW_TARGET, "x", "the raw rate")
    )
    with_models = result.median("ratio replay and read models/raw, N")
    result.targets.append(
        at_least(
            "replay and read models vs raw aiokafka (N)", with_models, WITH_READ_MODELS_TARGET, "x", "the raw rate"
        )
    )
    growth = result.median("rebuild peak RSS, N") / result.median("rebuild peak RSS, N/4")
    result.figure("rebuild peak RSS growth N against N/4", "x", higher_is_better=False).add(growth)
    result.targets.append(at_most("rebuild memory N against N/4", growth, MEMORY_GROWTH_LIMIT, "x"))
    result.notes = {"events_N": total, "events_N/4": quarter, "topics_prefix": prefix, "idle_s": idle_s}
    return result
