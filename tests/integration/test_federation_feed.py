"""A region's reporting sends its branches' published figures to the federation topic of its own cluster, signed by
reporting, again at every beat (docs/adr/0028): exactly the federation's view of its publications, and nothing about
a person: no id, no personal value, only counts and codes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.federation_figures import RegionFigures
from shared.federation_messages import from_message
from shared.regions import Region
from shared.tenancy import TIMEZONES, Tenant
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.conftest import running_service
from tests.integration.intake_harness import IntakeHarness, mentee_body
from tests.integration.quarters import after_this_quarter
from tests.signing import keyring

pytestmark = pytest.mark.integration

WEST = Region("west", frozenset({Tenant.BE, Tenant.NL}), {"fr": frozenset({Tenant.FR})})
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def last_figures(bootstrap: str, topic: str) -> list[tuple[list[tuple[str, bytes]], bytes]]:
    """Every message of the federation topic so far, headers and value."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        messages: list[tuple[list[tuple[str, bytes]], bytes]] = []
        for _ in range(10):  # until a fetch brings nothing more (the first ones may come before the assignment)
            batch = [(list(r.headers), r.value) for rs in (await consumer.getmany(timeout_ms=500)).values() for r in rs]
            if messages and not batch:
                break
            messages += batch
        return messages
    finally:
        await consumer.stop()


async def test_a_region_sends_its_published_figures_signed_with_nothing_about_a_person(
    infra, intake: IntakeHarness, monkeypatch
):
    monkeypatch.setenv("DUO_FEDERATION_FEED_INTERVAL_S", "0.5")
    prefix = intake.topic.removesuffix("duo.intake.events")
    people = []
    for n in range(6):
        body = mentee_body(first_name=f"Zelda{n}", last_name="Quuxington")
        answer = await intake.client.post("/mentees", json=body)
        assert answer.status_code == 201, answer.text
        people.append(answer.json()["mentee_id"])
    topic = f"{prefix}duo.federation.figures"
    # Reporting's calendar starts before the first publication: nothing is published before every fact is counted.
    async with running_service(infra, "reporting", create_reporting, prefix, region=WEST, days_ahead=-4000) as west:

        async def counted() -> bool:
            return await west.fetchval("SELECT count(*) FROM ledger") == 6

        await eventually(counted, 60, "the region's reporting counted the six registrations")
        # Ten days past the end of the quarter under way (the registrations', in Brussels): that quarter's
        # publication counts them, whatever day the test runs (a fixed 40 days missed a quarter end from January on).
        west.days_ahead = after_this_quarter().days + 9
        as_of = (datetime.now(TIMEZONES[Tenant.BE]).date() + timedelta(days=west.days_ahead)).isoformat()

        latest: list[RegionFigures] = []

        async def sent() -> bool:
            for headers, value in await last_figures(infra.kafka_bootstrap, topic):
                figures, refusal = from_message(headers, value, keyring(), "west")
                assert figures is not None and refusal is None, refusal
                latest.append(figures)
            return (
                bool(latest)
                and any((b, h, n) == ("BE", "registered", 6) for b, h, n in latest[-1].publications[-1].rollup)
                if latest and latest[-1].publications
                else False
            )

        await eventually(sent, 60, "the region sent the publication counting the registrations")
        figures = latest[-1]
        assert figures.region == "west" and figures.branches == [Tenant.BE, Tenant.NL]
        assert figures.plan == "memorandum-2024-annex/v1"
        last = figures.publications[-1]
        own = (await west.client.get("/figures", headers=bearer(None, Role.FEDERATION), params={"as_of": as_of})).json()
        assert own["publication"] == last.published_on.isoformat()
        assert {b.value: d for b, d in last.definitions.items()} == {b: own["definitions"][b] for b in ("BE", "NL")}
        sent_rows = {(b, h): n for b, h, n in last.rollup}
        assert {b for b, _ in sent_rows} == {"BE", "NL", "total"}  # the region's branches only
        own_rows = {
            (b, h): n for b, row in [*own["by_branch"].items(), ("total", own["total"])] for h, n in row.items()
        }
        assert sent_rows == {cell: own_rows[cell] for cell in sent_rows}  # what the region's federation view shows
        assert sent_rows[("BE", "registered")] == 6 and sent_rows[("NL", "registered")] == 0

        # Nothing about a person: no id at all, none of their values; only the agreed fields.
        for headers, value in await last_figures(infra.kafka_bootstrap, topic):
            text = value.decode() + repr(headers)
            assert not UUID.search(value.decode()), "a message body carries an id"
            assert not any(p in text for p in people) and "Zelda" not in text and "Quuxington" not in text
            assert set(json.loads(value)) == set(RegionFigures.model_fields)
