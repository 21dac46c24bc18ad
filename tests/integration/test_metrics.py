"""`/metrics` (shared/metrics.py): the Prometheus text format, with requests by route template and status,
command latency, the outbox backlog, and each consumer's lag hint and parked messages."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.config import ServiceSettings
from shared.tenancy import Tenant
from tests.auth import SCRAPE_TOKEN, VERIFIER, bearer
from tests.conftest import eventually, unique
from tests.integration.intake_harness import IntakeHarness, mentee_body
from tests.integration.test_health_and_errors import message, registered, send

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_intake_counts_requests_by_route_template_and_commands_by_latency(intake: IntakeHarness) -> None:
    registered_mentee = await intake.client.post("/mentees", json=mentee_body())
    assert registered_mentee.status_code == 201, registered_mentee.text
    mentee_id = registered_mentee.json()["mentee_id"]
    assert (await intake.client.get(f"/mentees/{mentee_id}")).status_code == 200
    assert (await intake.client.get("/no-such-route")).status_code == 404
    samples = await scrape(intake.client)

    assert value(samples, "duo_http_requests_total", method="POST", route="/mentees", status="201") == 1
    # The template, not the id: ids never become labels.
    assert value(samples, "duo_http_requests_total", method="GET", route="/mentees/{mentee_id}", status="200") == 1
    assert not any(mentee_id in str(labels) for _name, labels in samples)
    assert value(samples, "duo_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert value(samples, "duo_command_duration_seconds_count", route="/mentees", outcome="2xx") == 1
    assert value(samples, "duo_http_request_duration_seconds_count", method="POST", route="/mentees") == 1
    assert value(samples, "duo_dependency_up", dependency="database") == 1
    assert value(samples, "duo_outbox_pending_events") is not None
    assert value(samples, "duo_outbox_oldest_age_seconds") is not None
    # The process and the interpreter (prometheus-client's default collectors).
    names = {name for name, _labels in samples}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_start_time_seconds"} <= names
    assert {"python_info", "python_gc_collections_total"} <= names
    assert (value(samples, "process_resident_memory_bytes") or 0) > 0

    async def relayed() -> bool:
        return value(await scrape(intake.client), "duo_outbox_pending_events") == 0

    await eventually(relayed, 30, "the outbox emptied by the relay")
    samples = await scrape(intake.client)
    # Once relayed (the harness's clock is days behind, so a pending event's age would read as a stalled relay).
    assert value(samples, "duo_health_status", status="ok") == 1
    # The scrapes themselves are counted too.
    assert (value(samples, "duo_http_requests_total", method="GET", route="/metrics", status="200") or 0) >= 1


async def test_reporting_shows_lag_per_partition_and_parked_messages(infra, database_url: str) -> None:
    prefix = unique("p") + "."
    settings = ServiceSettings(
        "reporting",
        database_url,
        infra.kafka_bootstrap,
        kafka_session_timeout_ms=2000,
        topic_prefix=prefix,
        token_verifier=VERIFIER,
        scrape_token=SCRAPE_TOKEN,
    )
    app = create_reporting(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client,
    ):
        samples = await scrape(client)
        assert value(samples, "duo_consumer_parked_messages", consumer="reporting") == 0
        assert value(samples, "duo_outbox_pending_events") is None  # reporting publishes nothing
        topic = prefix + "duo.intake.events"
        await send(infra.kafka_bootstrap, topic, [(b"{}", []), message(registered("be-gent", Tenant.BE))])

        async def settled() -> bool:
            samples = await scrape(client)
            return (
                value(samples, "duo_consumer_parked_messages", consumer="reporting") == 1
                and value(samples, "duo_consumer_applied_events_total", consumer="reporting") == 1
            )

        await eventually(settled, 60, "the invalid message parked and the event applied")
        samples = await scrape(client)
        lags = {labels: v for (name, labels), v in samples.items() if name == "duo_consumer_lag_hint_messages"}
        assert lags and all(dict(labels)["topic"] == topic and v == 0 for labels, v in lags.items())

        # The broker's view: both messages are at or behind the group's committed offsets, on whichever partition.
        async def committed() -> bool:
            samples = await scrape(client)
            ours = {"group": prefix + "reporting", "topic": topic}
            lag: list[float] = []
            ends: list[float] = []
            for (name, labels), v in samples.items():
                if ours.items() <= dict(labels).items():
                    (
                        lag
                        if name == "duo_consumer_group_lag_messages"
                        else ends
                        if name == "duo_topic_end_offset"
                        else []
                    ).append(v)
            return len(lag) == 6 and sum(lag) == 0 and sum(ends) == 2  # six partitions, two messages

        await eventually(committed, 30, "the group's committed offsets at the end offsets")
        assert value(samples, "duo_health_status", status="degraded") == 1  # parked: someone should look


async def test_metrics_answer_only_the_scrape_token_not_a_staff_token_nor_anyone(intake: IntakeHarness) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer not-the-scrape-token"},
        {"Authorization": f"Basic {SCRAPE_TOKEN}"},
        bearer("BE", Role.BRANCH_ADMIN),  # a member of staff is no Prometheus
    ):
        answer = await intake.client.get("/metrics", headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json()["errors"][0]["field"] == "Authorization" and "duo_" not in answer.text
    assert any(name == "duo_http_requests_total" for name, _labels in await scrape(intake.client))
