"""A region hosts its branches only (docs/adr/0014): another branch's token is refused with 421 naming the region
that hosts it, and another branch's event is parked, never applied, live or after a rebuild."""

from __future__ import annotations

import asyncpg
import pytest

from services.reporting.adapters.projection import build_consumer
from services.reporting.adapters.rebuild import rebuild
from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.config import ServiceSettings
from shared.regions import Region
from shared.tenancy import Tenant
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.conftest import running_service
from tests.integration.intake_harness import FR, IntakeHarness, mentee_body

pytestmark = pytest.mark.integration

WEST = Region("west", frozenset({Tenant.BE, Tenant.NL}), {"fr": frozenset({Tenant.FR})})


async def test_a_region_parks_another_regions_events_and_refuses_its_tokens(infra, intake: IntakeHarness):
    prefix = intake.topic.removesuffix("duo.intake.events")
    belgian = await intake.client.post("/mentees", json=mentee_body())
    french = await intake.client.post(
        "/mentees", json=mentee_body(office="fr-paris", languages=["fr"], birth_date="2000-03-03"), headers=FR
    )
    assert belgian.status_code == french.status_code == 201, (belgian.text, french.text)
    french_id = french.json()["mentee_id"]

    async with running_service(infra, "reporting", create_reporting, prefix, region=WEST) as reporting:
        con = await asyncpg.connect(reporting.database_url)
        try:

            async def both_seen() -> bool:
                parked = await con.fetchval("SELECT count(*) FROM parked_events")
                return parked >= 1 and await con.fetchval("SELECT count(*) FROM ledger") >= 1

            await eventually(both_seen, 60, "reporting applied the Belgian fact and parked the French one")
            parked = await con.fetch("SELECT event_type, reason, envelope FROM parked_events")
            assert [(p["event_type"], p["reason"]) for p in parked] == [
                ("MenteeRegistered", "foreign_branch: branch FR is not hosted by region west; region fr hosts it")
            ]
            assert {r["tenant"] for r in await con.fetch("SELECT tenant FROM ledger")} == {"BE"}
            assert await con.fetchval("SELECT count(*) FROM ledger WHERE data::text LIKE $1", f"%{french_id}%") == 0
            # A replay of parked events leaves a foreign branch's event parked.
            pool = await asyncpg.create_pool(reporting.database_url, min_size=1, max_size=2)
            try:
                assert await build_consumer(pool).replay_parked() == (0, 1)  # none resolved, one still parked
            finally:
                await pool.close()
            assert await con.fetchval("SELECT count(*) FROM parked_events") == 1
            counted = await reporting.client.get("/stats/mentees", headers=bearer("BE", Role.FUNDER))
            assert counted.status_code == 200 and counted.json()["total"] == 1, counted.text

            refused = await reporting.client.get("/stats/mentees", headers=bearer("FR", Role.FUNDER))
            assert refused.status_code == 421, refused.text
            assert refused.json()["errors"] == [
                {
                    "field": "Authorization",
                    "rule": "branch_hosted_here",
                    "message": "branch FR is not hosted by region west; region fr hosts it",
                }
            ]

            settings = ServiceSettings(
                "reporting", reporting.database_url, infra.kafka_bootstrap, topic_prefix=prefix, region=WEST
            )
            assert await rebuild(settings, reporting.now().date(), say=lambda _: None)  # rebuilt == live: FR left out
            assert {r["tenant"] for r in await con.fetch("SELECT tenant FROM ledger")} == {"BE"}
        finally:
            await con.close()
