"""Schema-driven fuzzing of every service's API: cases generated from each service's OpenAPI document.

Each service runs for real (database, outbox relay, broker) behind uvicorn on a loopback port;
schemathesis builds cases of every documented operation from its examples and its schemas (valid
and invalid data) with a fixed seed, at least `PER_SERVICE` per service. Every answer must be below
500 and conform to the document (status, content type, headers, body); every 4xx must leave the
service's database as it was, but for the one refusal the API documents as recorded: a mentee
application that is not eligible is kept under its application_id (MenteeApplicationRejected),
with its Idempotency-Key if one was sent, and nothing else.
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
from tests.fuzzing import Changes, LiveService, cases_per_operation, fuzz_operation, load_schema, operations
from tests.infrastructure import StackEndpoints
from tests.integration.intake_harness import EXAMPLES_DATED, VAULT_KEY, mentee_body, mentor_body

pytestmark = pytest.mark.integration

PER_SERVICE = 1000  # cases per service, at the least
SEEDED = 4  # mentees and mentors registered before intake's fuzzing, so that commands reach existing records


def intake_app(settings: ServiceSettings) -> FastAPI:
    # The tests' clock (tests/integration/conftest.py): the documented examples' ages stay eligible.
    shift = datetime.now(UTC).date() - EXAMPLES_DATED
    return create_intake(settings, clock=lambda: datetime.now(UTC) - shift, master_keys=VAULT_KEY)


SERVICES: dict[str, Callable[[ServiceSettings], FastAPI]] = {
    "intake": intake_app,
    "matching": create_matching,
    "reporting": create_reporting,
    "tracking": create_tracking,
}
# Whom each service's cases speak for, where a route lets them in (else the first of the route's x-roles).
ROLES = {"intake": Role.COORDINATOR, "reporting": Role.FUNDER}
# The documents, read without starting anything: they name the operations to fuzz.
DOCUMENTED = {
    name: make(ServiceSettings(name, "postgresql://unused", "unused:9092")) for name, make in SERVICES.items()
}
OPERATIONS = [(service, method, path) for service, app in DOCUMENTED.items() for method, path in operations(app)]


def headers_for(service: str, method: str, path: str) -> dict[str, str]:
    """The bearer header of a member of staff of the Belgian branch allowed to call this operation."""
    roles = DOCUMENTED[service].openapi()["paths"][path][method.lower()].get("x-roles")
    if not roles:
        return {}  # a public route (/health)
    wanted = ROLES.get(service, Role.COORDINATOR)
    return bearer("BE", wanted if wanted.value in roles else Role(roles[0]))


def refused_application_recorded(body: Any, request_headers: Mapping[str, str], changes: Changes) -> bool:
    """The documented 422 of an application (a mentee's or a mentor's) that is not eligible: its one event, under its
    application_id."""
    if not isinstance(body, dict) or not body.get("application_id"):
        return False
    stream = APPLICATION.stream(uuid.UUID(body["application_id"]))
    # With an Idempotency-Key, the answer is kept for a retry (idempotency_keys, and the first time
    # the branch's secret for request digests, idempotency_secrets): the idempotency bookkeeping.
    keyed = "idempotency-key" in request_headers
    return (
        changes.new_events in (((stream, "MenteeApplicationRejected"),), ((stream, "MentorApplicationRejected"),))
        and all(keyed and table.startswith("idempotency_") for table in changes.tables)
        and len(changes.new_outbox) <= 1
    )


class RunningServices:
    """Each service started when first fuzzed, on a database of its own, and kept for the module."""

    def __init__(self, infra: StackEndpoints) -> None:
        self.infra = infra
        self.running: dict[str, LiveService] = {}
        self.known_ids: dict[str, list[str]] = {}  # intake's seeded people, by parameter name

    def __getitem__(self, service: str) -> LiveService:
        if service not in self.running:
            self.running[service] = LiveService(self.infra, service, SERVICES[service]).__enter__()
            if service == "intake":
                self._seed_intake(self.running[service])
        return self.running[service]

    def _seed_intake(self, intake: LiveService) -> None:
        coordinator = bearer("BE", Role.COORDINATOR)
        for kind, body in (("mentee", mentee_body), ("mentor", mentor_body)):
            for _ in range(SEEDED):
                answer = intake.session.post(f"{intake.base_url}/{kind}s", json=body(), headers=coordinator, timeout=30)
                assert answer.status_code == 201, answer.text
                self.known_ids.setdefault(f"{kind}_id", []).append(answer.json()[f"{kind}_id"])
        self.known_ids["person"] = self.known_ids["mentee_id"] + self.known_ids["mentor_id"]

    def close(self) -> None:
        for live in self.running.values():
            live.__exit__(None, None, None)


@pytest.fixture(scope="module")
def services(infra: StackEndpoints) -> Iterator[RunningServices]:
    running = RunningServices(infra)
    try:
        yield running
    finally:
        running.close()


@pytest.mark.parametrize(("service", "method", "path"), OPERATIONS, ids=[f"{s}:{m} {p}" for s, m, p in OPERATIONS])
def test_every_documented_operation_answers_as_documented_and_refusals_change_nothing(
    service: str, method: str, path: str, services: RunningServices
) -> None:
    quota = cases_per_operation(DOCUMENTED[service], PER_SERVICE)
    tally = fuzz_operation(
        services[service],
        load_schema(DOCUMENTED[service]),
        method,
        path,
        headers_for(service, method, path),
        quota,
        known_ids=services.known_ids if service == "intake" else None,
        recorded_refusal=refused_application_recorded if service == "intake" else None,
    )
    print(f"{service} {method} {path}: {tally.cases} cases, kinds {tally.by_kind}, statuses {tally.by_status}")
    # Fewer cases than asked for would mean the generator ran dry, and the service's total fell short.
    assert tally.cases >= quota, f"only {tally.cases} of {quota} cases ran"
