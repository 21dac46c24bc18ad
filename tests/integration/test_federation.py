"""The federation's reporting reads each region's figures topic on its own cluster and serves the cross-branch roll-up
(docs/adr/0028): each branch from its region, totals summed from the regions' published totals, a region whose
cluster does not answer shown stale, never as zeros; a message not signed by the region's reporting, or of another
region, is skipped. Two topics of the test broker stand for two regions' clusters; a third region's cluster is a
port nothing listens on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from services.federation.adapters.region_reader import RegionReader
from services.federation.app import create_app
from shared.auth.identity import Role
from shared.federation_figures import RegionFigures
from shared.federation_messages import to_message
from shared.kafka import new_producer
from shared.tenancy import Tenant
from shared.topics import ensure_topics, federation_topic
from tests.auth import VERIFIER, bearer
from tests.conftest import eventually, unique
from tests.signing import keyring, signing_key
from tests.unit.test_federation_rollup import FR_Q4, WEST_Q3, WEST_Q4

pytestmark = pytest.mark.integration
FEDERATION = bearer(None, Role.FEDERATION)


def now_figures(region: str, branches: list[Tenant], *publications) -> RegionFigures:
    return RegionFigures(
        region=region,
        branches=branches,
        sent_at=datetime.now(UTC),
        plan="memorandum-2024-annex/v1",
        suppressed_below=5,
        publications=list(publications),
    )


async def test_the_federation_serves_every_regions_published_figures_and_shows_an_unreachable_one_stale(infra):
    west_topic, fr_topic = (federation_topic(unique(p) + ".") for p in ("west", "fr"))
    await ensure_topics(infra.kafka_bootstrap, [west_topic, fr_topic])
    producer = new_producer(infra.kafka_bootstrap)
    await producer.start()
    try:
        for topic, figures in (
            (west_topic, now_figures("west", [Tenant.BE, Tenant.NL], WEST_Q3, WEST_Q4)),
            (fr_topic, now_figures("west", [Tenant.BE, Tenant.NL], WEST_Q3)),  # west's figures on fr's cluster
            (fr_topic, now_figures("fr", [Tenant.FR], FR_Q4)),
        ):
            key, value, headers = to_message(figures, signing_key("reporting"))
            await producer.send_and_wait(topic.name, value, key, headers=headers)
        forged = now_figures("fr", [Tenant.FR], FR_Q4.model_copy(update={"published_on": date(2027, 3, 31)}))
        key, value, headers = to_message(forged, signing_key("tracking"))  # not reporting's key
        await producer.send_and_wait(fr_topic.name, value, key, headers=headers)
    finally:
        await producer.stop()

    readers = [
        RegionReader("west", infra.kafka_bootstrap, west_topic.name, keyring()),
        RegionReader("fr", infra.kafka_bootstrap, fr_topic.name, keyring()),
        RegionReader("east", "127.0.0.1:1", west_topic.name, keyring()),  # a cluster that never answers
    ]
    app = create_app(readers)
    app.state.token_verifier = VERIFIER
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://f") as client:

        async def both_read() -> bool:
            return readers[0].figures is not None and readers[1].figures is not None

        await eventually(both_read, 30, "the federation read both regions' figures")
        rollup = (await client.get("/figures", headers=FEDERATION)).json()
        assert rollup["publication"] == "2026-12-31"
        assert {b: row["region"] for b, row in rollup["by_branch"].items()} == {
            "BE": "west",
            "NL": "west",
            "FR": "fr",
        }
        assert rollup["by_branch"]["BE"]["registered"] == 50 and rollup["by_branch"]["FR"]["registered"] == 35
        assert rollup["regions"]["west"]["stale"] is False and rollup["regions"]["fr"]["stale"] is False
        # east never answered: stale, nothing shown for it, and so no total made up without it
        assert rollup["regions"]["east"]["stale"] is True and rollup["complete"] is False
        assert set(rollup["total"].values()) == {None}
        # fr's cluster carried a message of west, and one not signed by reporting: both skipped
        assert readers[1].refused == 2 and readers[1].figures is not None
        assert readers[1].figures.publications[-1].published_on == date(2026, 12, 31)
        health = (await client.get("/health")).json()
        assert health["status"] == "degraded" and health["regions"]["east"]["reachable"] is False

        readers.pop()  # without east, the totals are the sum of the regions' published totals
        rollup = (await client.get("/figures", headers=FEDERATION)).json()
        assert rollup["complete"] is True and rollup["total"]["registered"] == 62 + 35

        page = await client.get("/dashboard/")  # the page and its script carry no data: the figures come with a token
        script = await client.get("/dashboard/federation.js")
        assert (
            page.status_code == script.status_code == 200
            and "federation.js" in page.text
            and "../figures" in script.text
        )
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert (await client.get("/dashboard/../app.py")).status_code == 404
        for refused in (bearer("BE", Role.FUNDER), {}):
            assert (await client.get("/figures", headers=refused)).status_code in (401, 403)
