"""Schema-driven fuzzing of every service's API: cases generated from each service's OpenAPI document.

Each service runs for real (database, outbox relay, broker) behind uvicorn on a loopback port;
schemathesis generates positive and negative cases of every documented operation with a fixed
seed, at least `PER_SERVICE` per service. Every answer must be below 500 and conform to the
document (status, content type, headers, body); every 4xx must leave the store unchanged, but
for the one refusal the API documents as recorded: a mentee application that is not eligible
is kept under its application_id (MenteeApplicationRejected), with its Idempotency-Key if one
was sent, and nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from services.intake.app import create_app as create_intake
from services.intake.domain.mentee import APPLICATION
from services.matching.app import create_app as create_matching
from services.reporting.app import create_app as create_reporting
from services.tracking.app import create_app as create_tracking
from shared.auth.identity import Role
from shared.config import ServiceSettings
from tests.auth import bearer
from tests.fuzzing import Changes, FuzzTally, LiveService, cases_per_operation, fuzz_operation, load_schema, operations
from tests.infrastructure import StackEndpoints
from tests.integration.intake_harness import EXAMPLES_DATED, mentee_body, mentor_body

pytestmark = pytest.mark.integration

PER_SERVICE = 1000  # cases per service, at the least
SEEDED = 4  # mentees and mentors registered before the fuzzing, so commands also reach existing records


def intake_app(settings: ServiceSettings) -> FastAPI:
    # The tests' clock (tests/integration/conftest.py): the documented examples' ages stay eligible.
    shift = datetime.now(UTC).date() - EXAMPLES_DATED
    return create_intake(settings, clock=lambda: datetime.now(UTC) - shift)


SERVICES: dict[str, Callable[[ServiceSettings], FastAPI]] = {
    "intake": intake_app,
    "matching": create_matching,
    "reporting": create_reporting,
    "tracking": create_tracking,
}
# Whom each service's cases speak for: a role its routes let in (another of a route's x-roles otherwise).
ROLES = {"intake": Role.COORDINATOR, "reporting": Role.FUNDER}
# The documents, read once without starting anything: they name the operations to parametrize.
APPS = {name: make(ServiceSettings(name, "postgresql://unused", "unused:9092")) for name, make in SERVICES.items()}


def headers_for(service: str, method: str, path: str) -> dict[str, str]:
    """The bearer header of a member of staff of the Belgian branch allowed to call this operation."""
    roles = APPS[service].openapi()["paths"][path][method.lower()].get("x-roles")
    if not roles:
        return {}  # a public route (/health)
    wanted = ROLES.get(service, Role.COORDINATOR)
    return bearer("BE", wanted if wanted.value in roles else Role(roles[0]))


def refused_application_recorded(body: Any, request_headers: Mapping[str, str], changes: Changes) -> bool:
    """The documented 422 of a mentee application that is not eligible: its one event, under its application_id."""
    if not isinstance(body, dict) or not body.get("application_id"):
        return False
    stream = APPLICATION.stream(uuid.UUID(body["application_id"]))
    # With an Idempotency-Key, the answer is kept for a retry (idempotency_keys, and the branch's
    # secret for its digest the first time: idempotency_secrets).
    keyed = "idempotency-key" in request_headers
    return (
        changes.new_events == ((stream, "MenteeApplicationRejected"),)
        and all(keyed and table.startswith("idempotency_") for table in changes.tables)
        and len(changes.new_outbox) <= 1
    )


@pytest.fixture(scope="module")
def live_services(infra: StackEndpoints) -> Iterator[dict[str, LiveService]]:
    """Each service started once for the module, on a database of its own; started when first asked for."""
    started: dict[str, LiveService] = {}
    yield started
    for live in started.values():
        live.__exit__(None, None, None)


@pytest.fixture(scope="module")
def seeded_ids() -> dict[str, list[str]]:
    return {}


def live(service: str, live_services: dict[str, LiveService], infra: StackEndpoints) -> LiveService:
    if service not in live_services:
        live_services[service] = LiveService(infra, service, SERVICES[service]).__enter__()
    return live_services[service]


def seed_intake(service: LiveService, ids: dict[str, list[str]]) -> None:
    """Register a few mentees and mentors through the API, for the fuzzed commands to reach."""
    if ids:
        return
    coordinator = bearer("BE", Role.COORDINATOR)
    for kind, body in (("mentee", mentee_body), ("mentor", mentor_body)):
        for _ in range(SEEDED):
            answer = service.session.post(f"{service.base_url}/{kind}s", json=body(), headers=coordinator, timeout=30)
            assert answer.status_code == 201, answer.text
            ids.setdefault(f"{kind}_id", []).append(answer.json()[f"{kind}_id"])
    ids["person"] = ids["mentee_id"] + ids["mentor_id"]


CASES = [(service, method, path) for service, app in APPS.items() for method, path in operations(app)]


@pytest.mark.parametrize(("service", "method", "path"), CASES, ids=[f"{s}:{m} {p}" for s, m, p in CASES])
def test_every_documented_operation_answers_as_documented_and_refusals_change_nothing(
    service: str,
    method: str,
    path: str,
    infra: StackEndpoints,
    live_services: dict[str, LiveService],
    seeded_ids: dict[str, list[str]],
) -> None:
    running = live(service, live_services, infra)
    if service == "intake":
        seed_intake(running, seeded_ids)
    quota = cases_per_operation(APPS[service], PER_SERVICE)
    tally: FuzzTally = fuzz_operation(
        running,
        load_schema(APPS[service]),
        method,
        path,
        headers_for(service, method, path),
        quota,
        known_ids=seeded_ids if service == "intake" else None,
        recorded_refusal=refused_application_recorded if service == "intake" else None,
    )
    print(f"{service} {method} {path}: {tally.cases} cases, modes {tally.by_mode}, statuses {tally.by_status}")
    # Fewer cases than asked for would mean the generator ran dry: the service's total would fall short.
    assert tally.cases >= quota, f"only {tally.cases} of {quota} cases ran"
