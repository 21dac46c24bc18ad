"""The branch's books through tracking's API on the real database and broker: money figures by a finance officer
and opening figures by the branch admin, each an audited event (the token's subject as actor, an Idempotency-Key
that records nothing twice, signed and chained when published); every bad input a 4xx naming its field, changing
nothing; and reporting's /plan showing them, the opening figures apart from the platform's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
import pytest_asyncio

from services.reporting.adapters.rebuild import rebuild
from services.reporting.app import create_app as create_reporting
from services.tracking.app import create_app as create_tracking
from shared.auth.identity import Role
from shared.config import ServiceSettings
from shared.events.catalog import DuoEnded, JobFound
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.events.signing import SIGNATURE
from shared.tenancy import Tenant
from tests.auth import bearer
from tests.conftest import eventually, unique
from tests.histories import duo_formed
from tests.integration.conftest import running_service
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_reporting import publish
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


def duo_formed_with_a_job(formed_on: date, job: bool) -> list[tuple[str, EventEnvelope]]:
    """A duo formed at Brussels (matching's fact), ended the same day, and, when `job`, with a permanent job from
    that day (tracking's facts): the sustainable work of a duo that ended."""
    duo_id, mentee, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    meta = EventMetadata(tenant=Tenant.BE, office="be-brussel", actor="staff-1")
    formed = duo_formed(duo_id, mentee, mentor, formed_on, 15)
    facts = [("matching", EventEnvelope.record(NewEvent(formed, meta), f"proposal-{duo_id}", 1, datetime.now(UTC)))]
    if job:
        found = JobFound(
            duo_id=duo_id,
            job_id=uuid.uuid4(),
            mentee_id=mentee,
            sector="Q",
            contract_type="permanent",
            hours_per_week=38,
            started_on=formed_on,
        )
        facts.append(("tracking", EventEnvelope.record(NewEvent(found, meta), f"duo-{duo_id}", 1, datetime.now(UTC))))
    ended = DuoEnded(duo_id=duo_id, mentee_id=mentee, mentor_id=mentor, ended_on=formed_on, reason="completed")
    version = len(facts)
    facts.append(("tracking", EventEnvelope.record(NewEvent(ended, meta), f"duo-{duo_id}", version, datetime.now(UTC))))
    return facts


async def test_plan_shows_the_books_beside_the_duos_and_the_opening_figures_apart(infra, books: MatchingHarness):
    prefix = books.topic.removesuffix("duo.tracking.events")
    year = books.now().year
    async with running_service(infra, "reporting", create_reporting, prefix) as reporting:
        # Four duos formed at Brussels this year, three of them in a permanent job; the platform's own facts.
        duos = [fact for i in range(4) for fact in duo_formed_with_a_job(date(year, 1, 1), job=i < 3)]
        await publish(infra.kafka_bootstrap, prefix, duos)
        # The books, through tracking's API: EUR 25,000 spent in Brussels this year, and the history before.
        figures = [
            ("actual_costs", 2_500_000),
            ("planned_costs", 1_800_000_00),
            ("subsidy_requested", 1_260_000_00),
            ("subsidy_granted", 1_000_000_00),
            ("subsidy_received", 600_000_00),
        ]
        for kind, cents in figures:
            body = {"kind": kind, "region": "Brussels", "year": year, "amount_cents": cents}
            assert (await books.client.post("/finances/figures", json=body, headers=FINANCE)).status_code == 200
        opening = {
            "region": "Brussels",
            "first_year": 2013,
            "last_year": 2023,
            "duos_formed": 3400,
            "active_mentors": 650,
            "source": MEMORANDUM,
        }
        assert (await books.client.post("/opening-figures", json=opening, headers=ADMIN)).status_code == 200

        async def plan() -> dict:
            answer = await reporting.client.get("/plan", headers=FINANCE)
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def all_in() -> bool:
            p = await plan()
            return (
                bool(p["opening"]["periods"])
                and len(p["money"]["rows"]) == 1
                and p["money"]["net_return"]["total"]["sustainable_jobs"] == 3
                and p["money"]["rows"][0]["duos_formed"] == 4
                and all(p["money"]["rows"][0][f"{kind}_cents"] is not None for kind, _ in figures)
            )

        await eventually(all_in, 60, "the books and the duos at reporting")
        shown = await plan()
        [row] = shown["money"]["rows"]
        assert row["region"] == "Brussels" and row["year"] == year
        assert row["actual_costs_cents"] == 2_500_000 and row["actual_cost_per_duo_cents"] == 625_000  # EUR 6,250
        assert row["subsidy_granted_cents"] == 1_000_000_00 and row["subsidy_received_cents"] == 600_000_00
        assert row["budget_cents"] is None  # never recorded: unknown, not zero
        total = shown["money"]["net_return"]["total"]
        # 3 jobs x EUR 28,000 = 84,000 against EUR 25,000: 59,000 net, the memorandum's 2,360 per 1,000 invested.
        assert total["return_cents"] == 8_400_000 and total["net_return_cents"] == 5_900_000
        assert total["net_saving_per_1000_eur"] == 2_360
        assert shown["opening"]["by_region"]["Brussels"]["duos_formed"] == 3400
        # Apart: the platform's own figures count its own four duos, never the 3,400 before it.
        own = (await reporting.client.get("/figures", headers=FINANCE)).json()["figures"]
        assert own["duos_formed"] == 4
        federation = await reporting.client.get("/plan", headers=bearer(None, Role.FEDERATION, subject="fed-1"))
        assert federation.status_code == 200, federation.text  # the last quarter's publication: it holds no books
        assert federation.json()["money"] is None and federation.json()["opening"] is None

        # A rebuild from the log makes the books' read models again, equal to the fold, and /plan the same.
        settings = ServiceSettings("reporting", reporting.database_url, infra.kafka_bootstrap, topic_prefix=prefix)
        assert await rebuild(settings, reporting.now().date(), say=lambda _: None)
        assert await plan() == shown
