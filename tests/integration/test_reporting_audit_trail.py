"""A figure's audit trail read a page at a time through the API, on a hand-made history consumed from the real
broker: every page together lists exactly the facts the whole trail lists (the fold's, report.trail), each once;
facts that arrive between two pages repeat nothing and skip nothing already there; bad pages are refused."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, figures, trail
from shared.auth.identity import Role
from shared.events.envelope import EventEnvelope
from shared.tenancy import TIMEZONES, Tenant
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.test_reporting import FUNDER, history, publish

pytestmark = pytest.mark.integration

AUDITOR = bearer("BE", Role.AUDITOR, subject="auditor-1")


def recorded_earlier(events: list[tuple[str, EventEnvelope]], by: timedelta) -> list[tuple[str, EventEnvelope]]:
    """The same facts, recorded `by` earlier (a trail as of a past day lists them)."""
    return [(source, e.model_copy(update={"recorded_at": e.recorded_at - by})) for source, e in events]


def formed(events: list[tuple[str, EventEnvelope]]) -> dict[str, uuid.UUID]:
    """Each DuoFormed fact's id (as the API writes it) and its duo."""
    return {str(e.event_id): e.data["duo_id"] for _, e in events if e.event_type == "DuoFormed"}


async def duos_formed_by_now(client: httpx.AsyncClient, duos: int) -> None:
    async def counted() -> bool:
        return (await client.get("/figures", headers=FUNDER)).json()["figures"]["duos_formed"] == duos

    await eventually(counted, 60, f"{duos} duos formed counted")


async def page(client: httpx.AsyncClient, url: str, params: dict | None = None) -> dict:
    answer = await client.get(url, params=params, headers=AUDITOR)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    if body["next"] is None:
        assert "link" not in answer.headers
    else:
        assert answer.headers["link"] == f'<{body["next"]}>; rel="next"'
    return body


async def every_page(client: httpx.AsyncClient, first: dict) -> list[dict]:
    """The first page and every page after it, each by the `next` link of the one before."""
    pages = [first]
    while pages[-1]["next"] is not None:
        pages.append(await page(client, pages[-1]["next"]))
    return pages


async def test_every_page_of_a_trail_lists_its_facts_once_even_with_facts_arriving_between_pages(infra, reporting):
    client, settings = reporting
    today = datetime.now(TIMEZONES[Tenant.BE]).date()
    yesterday = today - timedelta(days=1)
    before = recorded_earlier(history(random.Random(5)), timedelta(days=2))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, before)
    definitions = definition_choices().for_branch(Tenant.BE.value, yesterday)
    programme = programme_of(e for _, e in before)
    expected = figures(programme, Slice(Tenant.BE), yesterday, definitions).model_dump()

    async def all_in() -> bool:
        answer = await client.get("/figures", params={"as_of": yesterday.isoformat()}, headers=FUNDER)
        return answer.json()["figures"] == expected

    await eventually(all_in, 60, "the first programme consumed")

    # A rate as of yesterday, 4 facts a page; the duos formed as of today (the default), 5 a page.
    asked = {"as_of": yesterday.isoformat(), "limit": 4}
    positive_first = await page(client, "/figures/positive_exit/events", asked)
    formed_first = await page(client, "/figures/duos_formed/events", {"limit": 5})
    assert formed_first["total"] == 12 and len(formed_first["event_ids"]) == 5 and formed_first["next"]

    # Another programme arrives between the pages, recorded today: new duos before and after the first pages' last.
    arriving = history(random.Random(6))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, arriving)
    await duos_formed_by_now(client, 24)

    # As of yesterday, what arrived today is not in the trail: the pages list exactly the fold's trail of the day.
    positive = await every_page(client, positive_first)
    listed = [e for p in positive for e in p["event_ids"]]
    folded = trail(programme, Slice(Tenant.BE), yesterday, "positive_exit", definitions)
    assert len(listed) == len(set(listed)) and set(listed) == {str(e) for e in folded["event_ids"]}
    assert len(positive) == -(-len(listed) // 4) > 2 and all(len(p["event_ids"]) == 4 for p in positive[:-1])
    assert {p["total"] for p in positive} == {len(listed)}
    assert {p["denominator_duos"] for p in positive} == {folded["denominator_duos"]}
    assert {p["as_of"] for p in positive} == {yesterday.isoformat()}
    # Small pages: most walk several batches of duos (3 of the 12 count) and stop inside a duo.
    for limit in (1, 2, 3):
        first = await page(client, "/figures/positive_exit/events", {**asked, "limit": limit})
        assert [e for p in await every_page(client, first) for e in p["event_ids"]] == listed, limit

    # As of today the new duos count: those after the first page's last are listed, those before it are not (the
    # first page is read), and none of the first programme's is listed twice or skipped.
    pages = await every_page(client, formed_first)
    listed = [e for p in pages for e in p["event_ids"]]
    every = formed(before) | formed(arriving)
    last_read = every[formed_first["event_ids"][-1]]
    after_it = {e for e, duo in every.items() if duo > last_read}
    assert len(listed) == len(set(listed)) and set(listed) == set(formed_first["event_ids"]) | after_it
    assert set(formed(before)) <= set(listed) and after_it & set(formed(arriving))
    assert [p["total"] for p in pages] == [12] + [24] * (len(pages) - 1)
    duos_in_order = [every[e] for e in listed]
    assert duos_in_order == sorted(duos_in_order)  # the stable order: by duo


async def test_a_bad_page_is_refused_naming_its_field(infra, reporting):
    client, settings = reporting
    await publish(infra.kafka_bootstrap, settings.topic_prefix, history(random.Random(7)))
    await duos_formed_by_now(client, 12)
    first = await page(client, "/figures/duos_formed/events", {"limit": 2})
    cursor = httpx.URL(first["next"]).params["cursor"]
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": cursor[:-4]}, "cursor"),
        ({"cursor": cursor, "office": "be-gent"}, "cursor"),  # the cursor of another listing
        ({"cursor": cursor, "as_of": (datetime.now(UTC).date() - timedelta(days=3)).isoformat()}, "cursor"),
    ):
        refused = await client.get("/figures/duos_formed/events", params=params, headers=AUDITOR)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, (params, refused.text)
    elsewhere = await client.get("/figures/applications/events", params={"cursor": cursor}, headers=AUDITOR)
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "cursor"
    again = await page(client, first["next"])
    assert again["event_ids"] and not set(again["event_ids"]) & set(first["event_ids"])
