"""The branch's books through tracking's API on the real database and broker: money figures by a finance officer
and opening figures by the branch admin, each an audited event (the token's subject as actor, an Idempotency-Key
that records nothing twice, signed and chained when published); every bad input a 4xx naming its field, changing
nothing; and reporting's /plan showing them, the opening figures apart from the platform's own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.tracking.app import create_app as create_tracking
from shared.auth.identity import Role
from shared.events.signing import SIGNATURE
from tests.auth import bearer
from tests.conftest import eventually, unique
from tests.integration.conftest import running_service
from tests.integration.matching_harness import MatchingHarness
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration

FINANCE = bearer("BE", Role.FINANCE_OFFICER, subject="finance-3")
ADMIN = bearer("BE", Role.BRANCH_ADMIN, subject="admin-1")
MEMORANDUM = "Memorandum DUO for a JOB - Vlaamse verkiezingen 2024"


@pytest_asyncio.fixture
async def books(infra) -> AsyncIterator[MatchingHarness]:
    """Tracking alone on a database of its own and a topic prefix of its own (its books need no duo)."""
    async with running_service(infra, "tracking", create_tracking, unique("b") + ".") as harness:
        yield harness


async def stored(tracking: MatchingHarness) -> int:
    return await tracking.fetchval("SELECT count(*) FROM events")


async def test_money_figures_are_audited_events_and_bad_ones_change_nothing(books: MatchingHarness):
    c = books.client
    year = books.now().year
    figure = {"kind": "subsidy_granted", "region": "Brussels", "year": year, "amount_cents": 124_300_000}
    first = await c.post("/finances/figures", json=figure, headers={**FINANCE, "Idempotency-Key": "grant-1"})
    retry = await c.post("/finances/figures", json=figure, headers={**FINANCE, "Idempotency-Key": "grant-1"})
    assert first.status_code == 200, first.text
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == first.json()
    assert first.json()["figures"] == [
        {"kind": "subsidy_granted", "region": "Brussels", "year": year, "amount_cents": 124_300_000, "currency": "EUR"}
    ]
    spent = {"kind": "actual_costs", "region": "Flanders", "year": year, "amount_cents": 90_000_000}
    assert (await c.post("/finances/figures", json=spent, headers=FINANCE)).status_code == 200
    assert await stored(books) == 2

    refused = [
        ({**figure, "amount_cents": -5}, "amount_cents"),
        ({**figure, "amount_cents": 12.5}, "amount_cents"),  # never a float
        ({**figure, "region": "Atlantis"}, "region"),
        ({**figure, "year": 1999}, "year"),
        ({**figure, "year": year + 6}, "year"),
        ({**spent, "year": year + 1}, "year"),  # money spent is of a year that has begun
        ({**figure, "currency": "USD"}, "currency"),
        ({**figure, "kind": "bonus"}, "kind"),
        ({**figure, "note": "x"}, "note"),
    ]
    for body, field in refused:
        answer = await c.post("/finances/figures", json=body, headers=FINANCE)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (body, answer.text)
    for role in (Role.COORDINATOR, Role.AUDITOR, Role.FUNDER, Role.BRANCH_ADMIN):
        assert (await c.post("/finances/figures", json=figure, headers=bearer("BE", role))).status_code == 403
    assert await stored(books) == 2  # nothing refused was recorded

    read = await c.get("/finances", headers=bearer("BE", Role.AUDITOR))
    assert read.status_code == 200 and read.headers["ETag"] == '"2"' and len(read.json()["figures"]) == 2
    nl = await c.get("/finances", headers=bearer("NL", Role.FINANCE_OFFICER))
    assert nl.json() == {"version": 0, "figures": []}  # another branch's books are its own

    # Audited like every fact: the officer as actor, signed and chained when published.
    actors = await books.fetchval("SELECT array_agg(DISTINCT actor) FROM events")
    assert actors == ["finance-3"]

    async def published() -> bool:
        return await books.fetchval("SELECT count(*) FROM event_chain") == 2

    await eventually(published, 30, "both money figures chained and published")
    records = await read_topic(books.app.state.runtime.settings.kafka_bootstrap_servers, books.topic, 2)
    assert sorted(dict(r.headers)["ce_type"].decode() for r in records) == ["ActualCostsRecorded", "SubsidyGranted"]
    assert all(dict(r.headers)[SIGNATURE] and dict(r.headers)["ce_chainhash"] for r in records)
    assert {dict(r.headers)["ce_actor"].decode() for r in records} == {"finance-3"}


async def test_opening_figures_are_the_branch_admins_and_never_overlap(books: MatchingHarness):
    c = books.client
    brussels = {
        "region": "Brussels",
        "first_year": 2013,
        "last_year": 2023,
        "duos_formed": 3400,
        "active_mentors": 650,
        "source": MEMORANDUM,
    }
    first = await c.post("/opening-figures", json=brussels, headers={**ADMIN, "Idempotency-Key": "open-1"})
    assert first.status_code == 200, first.text
    again = await c.post("/opening-figures", json=brussels, headers={**ADMIN, "Idempotency-Key": "open-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["periods"][0] == {
        **brussels,
        "positive_exits": None,
        "sustainable_jobs": None,
    }
    refused = [
        ({**brussels, "duos_formed": -1}, 422, "duos_formed"),
        ({**brussels, "region": "Noord-Holland"}, 422, "region"),
        ({**brussels, "last_year": books.now().year + 1}, 422, "last_year"),
        ({**brussels, "first_year": 2024, "last_year": 2023}, 422, "last_year"),
        ({**brussels, "positive_exits": 4000}, 422, "positive_exits"),
        ({**brussels, "first_year": 2020, "last_year": 2024}, 409, "first_year"),
        ({k: v for k, v in brussels.items() if k != "source"}, 422, "source"),
    ]
    for body, status, field in refused:
        answer = await c.post("/opening-figures", json=body, headers=ADMIN)
        assert answer.status_code == status, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (body, answer.text)
    assert (await c.post("/opening-figures", json=brussels, headers=FINANCE)).status_code == 403
    assert await stored(books) == 1
    read = await c.get("/opening-figures", headers=FINANCE)
    assert read.status_code == 200 and read.json()["version"] == 1
