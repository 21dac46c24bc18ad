"""Facts nobody can forge: each forgery an attacker with access to the broker could write is parked with its
reason by every consumer reading its topic, and changes no figure, duo, pool entry or history, live or after a
rebuild (docs/security.md). The services are the real ones, their relays signing with the session's keys."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.reporting.adapters.rebuild import rebuild
from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.events.catalog import DuoEnded, DuoFormed, JobFound
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.events.signing import SigningKey
from shared.events.wire import to_kafka
from shared.kafka import new_producer
from shared.tenancy import Tenant, local_date
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.conftest import running_service
from tests.integration.intake_harness import IntakeHarness
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_metrics import scrape, value
from tests.integration.test_tracking import form_duo
from tests.kafka_reading import read_topic
from tests.signing import signing_key

pytestmark = pytest.mark.integration

FUNDER = bearer("BE", Role.FUNDER, subject="funder-1")
AUDITOR = bearer("BE", Role.AUDITOR, subject="auditor-1")
Message = tuple[str, dict[str, str], bytes]  # topic, headers, value


def unsigned(event: DomainEvent, stream_id: str, version: int, service: str) -> tuple[dict[str, str], bytes]:
    """A well-formed event as `service` would publish it, with its source, but no signature."""
    meta = EventMetadata(tenant=Tenant.BE, office="be-antwerpen", actor="coordinator-1")
    envelope = EventEnvelope.record(NewEvent(event, meta), stream_id, version, utc_now())
    _, body, headers = to_kafka(envelope, service)
    return {k: v.decode() for k, v in headers}, body


def signed_by(key: SigningKey, headers: dict[str, str], body: bytes) -> dict[str, str]:
    return {k: v.decode() for k, v in key.sign([(k, v.encode()) for k, v in headers.items()], body)}


def formed(mentee_id: str, mentor_id: str) -> DuoFormed:
    return DuoFormed(
        duo_id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        mentee_id=uuid.UUID(mentee_id),
        mentor_id=uuid.UUID(mentor_id),
        province=None,
        job_target_sector="Q",
        formed_on=utc_now().date(),
        days_to_match=0,
        score=0.9,
        config_version="forged",
    )


def as_read(record: ConsumerRecord) -> tuple[dict[str, str], bytes]:
    return {k: v.decode() for k, v in record.headers}, record.value


async def the_record(bootstrap: str, topic: str, event_type: str) -> ConsumerRecord:
    return next(r for r in await read_topic(bootstrap, topic, 1) if dict(r.headers)["ce_type"] == event_type.encode())


async def parked_messages(database_url: str) -> dict[str, str]:
    """Each parked message's event id and reason."""
    con = await asyncpg.connect(database_url)
    try:
        rows = await con.fetch("SELECT headers, reason FROM parked_messages")
    finally:
        await con.close()
    return {dict(map(tuple, json.loads(row["headers"])))["ce_id"]: row["reason"] for row in rows}


async def rows(database_url: str, query: str) -> list[dict]:
    con = await asyncpg.connect(database_url)
    try:
        return [dict(row) for row in await con.fetch(query)]
    finally:
        await con.close()


async def test_forgeries_change_nothing_live_or_after_a_rebuild_and_each_is_parked_with_its_reason(
    infra, intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    prefix = matching.topic.removesuffix("duo.matching.events")
    tracking_topic = f"{prefix}duo.tracking.events"
    async with running_service(infra, "reporting", create_reporting, prefix) as reporting:
        duo = await form_duo(intake, matching, tracking)
        path = f"/duos/{duo['duo_id']}"
        met = {
            "met_on": local_date(Tenant.BE, tracking.now()).isoformat(),
            "duration_minutes": 60,
            "mode": "online",
            "topics": ["social"],
        }
        assert (await tracking.client.post(f"{path}/meetings", json=met)).status_code == 201

        async def figures() -> dict:
            return (await reporting.client.get("/figures", headers=FUNDER)).json()["figures"]

        async def meeting_counted() -> bool:
            answer = await reporting.client.get(f"/history/{duo['duo_id']}", headers=AUDITOR)
            if answer.status_code == 404:
                return False  # reporting has not taken the duo in yet
            return [e["event_type"] for e in answer.json()] == ["DuoFormed", "MeetingLogged"]

        await eventually(meeting_counted, 60, "reporting counted the duo and its meeting")

        async def state() -> dict:
            return {
                "figures": await figures(),
                "history": (await reporting.client.get(f"/history/{duo['duo_id']}", headers=AUDITOR)).json(),
                "duo": (await tracking.client.get(path)).json(),
                "duos": await tracking.fetchval("SELECT count(*) FROM duos"),
                "mentees": await rows(matching.database_url, "SELECT * FROM pool_mentees ORDER BY mentee_id"),
                "mentors": await rows(matching.database_url, "SELECT * FROM pool_mentors ORDER BY mentor_id"),
            }

        before = await state()
        assert before["figures"]["duos_formed"] == 1

        real_formed = as_read(await the_record(infra.kafka_bootstrap, matching.topic, "DuoFormed"))
        meeting = as_read(await the_record(infra.kafka_bootstrap, tracking_topic, "MeetingLogged"))
        stream, next_version = meeting[0]["ce_subject"], int(meeting[0]["ce_streamversion"]) + 1
        tracking_key = signing_key("tracking")
        impostor = SigningKey("tracking", Ed25519PrivateKey.generate(), key_id=tracking_key.key_id)
        duo_id, mentee_id = uuid.UUID(duo["duo_id"]), uuid.UUID(duo["mentee_id"])

        # 1. The right source on the right topic: a duo for the same pair, with no signature.
        right_source = unsigned(formed(duo["mentee_id"], duo["mentor_id"]), f"duo-{uuid.uuid4()}", 1, "matching")
        # 2. A type on a topic whose producer may not emit it, signed by that producer's own key (stolen).
        wrong_topic = unsigned(formed(duo["mentee_id"], duo["mentor_id"]), f"duo-{uuid.uuid4()}", 1, "tracking")
        wrong_topic = (signed_by(tracking_key, *wrong_topic), wrong_topic[1])
        # 3. The next version of a real duo's stream: a job, unsigned; the duo's end, signed by a key of its own
        # under tracking's key id.
        job = JobFound(duo_id=duo_id, mentee_id=mentee_id, job_id=uuid.uuid4(), sector="C",
                       contract_type="permanent", hours_per_week=38, started_on=utc_now().date())  # fmt: skip
        next_job = unsigned(job, stream, next_version, "tracking")
        ended = DuoEnded(duo_id=duo_id, mentee_id=mentee_id, mentor_id=uuid.UUID(duo["mentor_id"]),
                         ended_on=utc_now().date(), reason="completed")  # fmt: skip
        next_end = unsigned(ended, stream, next_version, "tracking")
        next_end = (signed_by(impostor, *next_end), next_end[1])
        # 4. A replayed copy of a real event with one data field changed; and such a copy under an id of its own.
        data = json.loads(real_formed[1]) | {"job_target_sector": "C"}
        changed = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        replayed = (real_formed[0], changed)
        renamed = ({**real_formed[0], "ce_id": str(uuid.uuid4())}, changed)
        # 5. An event signed by another service's key: a duo signed by tracking's key on matching's topic.
        foreign = unsigned(formed(duo["mentee_id"], duo["mentor_id"]), f"duo-{uuid.uuid4()}", 1, "matching")
        foreign = (signed_by(tracking_key, *foreign), foreign[1])

        forgeries: list[tuple[str, tuple[dict[str, str], bytes], str]] = [
            (matching.topic, right_source, "unsigned: the event carries no key id"),
            (tracking_topic, wrong_topic, "forbidden_type: tracking may not emit 'DuoFormed'"),
            (tracking_topic, next_job, "unsigned: the event carries no key id"),
            (tracking_topic, next_end, "bad_signature: the event does not match its signature"),
            (matching.topic, replayed, "bad_signature: the event does not match its signature"),
            (matching.topic, renamed, "bad_signature: the event does not match its signature"),
            (matching.topic, foreign, f"foreign_key: key '{tracking_key.key_id}' belongs to tracking, not to matching"),
        ]
        producer = new_producer(infra.kafka_bootstrap)
        await producer.start()
        try:
            for topic, (headers, body), _ in forgeries:
                key = headers["ce_subject"].encode()
                await producer.send_and_wait(topic, body, key, headers=[(k, v.encode()) for k, v in headers.items()])
        finally:
            await producer.stop()

        def expected(topics: set[str], types: set[str] | None = None) -> dict[str, str]:
            return {
                headers["ce_id"]: reason
                for topic, (headers, _), reason in forgeries
                if topic in topics and (types is None or headers["ce_type"] in types)
            }

        readers = {
            "reporting": (reporting.database_url, expected({matching.topic, tracking_topic})),
            "tracking": (tracking.database_url, expected({matching.topic})),
            # Of tracking's topic matching reads DuoEnded alone, and leaves the rest unread (docs/adr/0036): the job
            # and the DuoFormed there are reporting's to park.
            "matching": (matching.database_url, expected({tracking_topic}, {"DuoEnded"})),
        }
        for service, (database_url, reasons) in readers.items():

            async def all_parked(url: str = database_url, wanted: int = len(reasons)) -> bool:
                return len(await parked_messages(url)) == wanted

            await eventually(all_parked, 60, f"{service} parked each forgery it reads")
            parked = await parked_messages(database_url)
            assert parked.keys() == reasons.keys(), service
            for event_id, reason in reasons.items():
                assert parked[event_id].startswith(reason), (service, parked[event_id], reason)
            assert not await rows(database_url, "SELECT * FROM parked_events"), service  # every genuine fact applied

        assert await state() == before
        health = (await reporting.client.get("/health")).json()
        assert health["status"] == "degraded" and "7 parked" in " ".join(health["reasons"])
        assert value(await scrape(reporting.client), "duo_consumer_parked_messages", consumer="reporting") == 7

        settings = ServiceSettings("reporting", reporting.database_url, infra.kafka_bootstrap, topic_prefix=prefix)
        assert await rebuild(settings, datetime.now(UTC).date(), say=lambda _: None)  # the rebuilt figures equal
        assert await state() == before
