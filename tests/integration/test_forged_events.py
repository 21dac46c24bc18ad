"""Only a topic's producer writes facts that count: a forged event on the topic is parked with its reason."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from services.reporting.app import create_app
from shared.auth.identity import Role
from shared.clock import utc_now
from shared.config import ServiceSettings
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.wire import to_kafka
from shared.kafka import new_producer
from shared.tenancy import Tenant
from tests.auth import VERIFIER, bearer
from tests.conftest import eventually, unique
from tests.signing import signed_kafka

pytestmark = pytest.mark.integration


def registered(office: str = "be-gent", tenant: Tenant = Tenant.BE) -> EventEnvelope:
    event = MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q")
    meta = EventMetadata(tenant=tenant, office=office, actor="coordinator-1")
    return EventEnvelope.record(NewEvent(event, meta), f"mentee-{event.mentee_id}", 1, utc_now())


async def test_events_not_from_the_topics_producer_or_of_no_office_of_their_branch_are_parked(infra, database_url):
    prefix = unique("p") + "."
    settings = ServiceSettings(
        "reporting",
        database_url,
        infra.kafka_bootstrap,
        kafka_session_timeout_ms=2000,
        topic_prefix=prefix,
        token_verifier=VERIFIER,
    )
    genuine, forged, impersonating, nowhere, elsewhere = (
        registered(),
        registered(),
        registered(),
        registered("be-atlantis"),
        registered("fr-lyon", Tenant.BE),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        producer = new_producer(infra.kafka_bootstrap)
        await producer.start()
        try:
            for envelope, source in [
                (genuine, "intake"),
                (forged, "someone"),
                (impersonating, "tracking"),
                (nowhere, "intake"),
                (elsewhere, "intake"),
            ]:
                # Only the genuine one is signed: the others are refused for their origin before their signature.
                kafka = signed_kafka if envelope is genuine else to_kafka
                key, value, headers = kafka(envelope, source)
                await producer.send_and_wait(prefix + "duo.intake.events", value=value, key=key, headers=headers)
        finally:
            await producer.stop()

        async def parked() -> dict[uuid.UUID, str]:
            con = await asyncpg.connect(database_url)
            try:
                rows = await con.fetch("SELECT event_id, reason FROM parked_events")
            finally:
                await con.close()
            return {row["event_id"]: row["reason"] for row in rows}

        async def four_parked() -> bool:
            return len(await parked()) == 4

        await eventually(four_parked, 60, "the four refused events parked")
        reasons = await parked()
        assert reasons[forged.event_id].startswith("forged_source: '/duo/someone'")
        assert reasons[impersonating.event_id].startswith("forged_source: '/duo/tracking'")
        assert reasons[nowhere.event_id].startswith("unknown_office")
        assert reasons[elsewhere.event_id].startswith("unknown_office")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:

            async def figures() -> dict:
                return (await client.get("/stats/mentees", headers=bearer("BE", Role.FUNDER))).json()

            async def genuine_counted() -> bool:
                return (await figures())["total"] == 1

            await eventually(genuine_counted, 60, "the genuine registration counted")
            assert (await figures())["by_office"] == {"be-gent": 1}
