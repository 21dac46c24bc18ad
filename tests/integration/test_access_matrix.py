"""Who may do what: every route called with every role of the branch and of another branch.

The answer is the one the roles table of docs/security.md gives: allowed, 403 for a role
that may not, 404 where existence must not leak (another branch's or office's person),
422 for an office of another branch named in the request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from services.reporting.app import create_app as create_reporting
from shared.auth.identity import Role
from shared.auth.keys import new_key_pair
from shared.config import ServiceSettings
from shared.security_headers import SECURITY_HEADERS
from tests.auth import VERIFIER, bearer, token
from tests.conftest import eventually
from tests.integration.conftest import service_database
from tests.integration.intake_harness import IntakeHarness, mentee_body, mentor_body

pytestmark = pytest.mark.integration

ALLOWED = "allowed"


@pytest_asyncio.fixture
async def reporting(infra, intake: IntakeHarness) -> AsyncIterator[httpx.AsyncClient]:
    """Reporting on a database of its own, reading the intake fixture's topic (so that histories exist)."""
    prefix = intake.topic.removesuffix("duo.intake.events")
    async with service_database(infra, "r") as database_url:
        settings = ServiceSettings(
            "reporting", database_url, infra.kafka_bootstrap, topic_prefix=prefix, token_verifier=VERIFIER
        )
        app = create_reporting(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://r") as client,
        ):
            yield client


def routes(mentee_id: str, mentor_id: str) -> list[tuple[str, str, str, dict | None]]:
    """(service, method, path, body) of every route; withdrawals last, since they end a person's changes, then
    the rejoins, which need them."""
    return [
        ("intake", "POST", "/mentees", mentee_body()),
        ("intake", "GET", "/mentees?office=be-antwerpen", None),
        ("intake", "GET", f"/mentees/{mentee_id}", None),
        ("intake", "PATCH", f"/mentees/{mentee_id}", {"availability": {"hours_per_week": 4}}),
        ("intake", "POST", "/mentors", mentor_body()),
        ("intake", "GET", "/mentors?office=be-antwerpen", None),
        ("intake", "GET", f"/mentors/{mentor_id}", None),
        ("intake", "PATCH", f"/mentors/{mentor_id}", {"capacity": 2}),
        ("intake", "POST", f"/mentors/{mentor_id}/training-modules", {"module": "active_listening"}),
        ("intake", "POST", f"/mentees/{mentee_id}/information-session", {}),
        ("intake", "POST", f"/mentees/{mentee_id}/intake-interview", {"outcome": "suitable"}),
        ("intake", "GET", "/rules", None),
        ("intake", "GET", "/access-log", None),
        ("intake", "GET", "/access-log/verification", None),
        ("reporting", "GET", "/stats/mentees", None),
        ("reporting", "GET", "/figures", None),
        ("reporting", "GET", "/plan", None),
        ("reporting", "GET", f"/history/{mentee_id}", None),
        ("reporting", "GET", "/figures/duos_formed/events", None),
        ("reporting", "GET", "/coordination", None),
        ("reporting", "GET", "/definitions", None),
        ("intake", "POST", f"/mentees/{mentee_id}/withdrawal", {"reason": "other"}),
        ("intake", "POST", f"/mentors/{mentor_id}/withdrawal", {"reason": "health"}),
        ("intake", "POST", f"/mentees/{mentee_id}/rejoin", {}),
        ("intake", "POST", f"/mentors/{mentor_id}/rejoin", {}),
    ]


def expected(role: Role, branch: str | None, path: str) -> str | int:
    """The answer the roles table gives a caller of `role` in `branch` on a BE person or office."""
    if path == "/definitions":
        return ALLOWED  # the words of the definitions: every reader of figures
    if path == "/coordination":
        return ALLOWED if role is Role.COORDINATOR else 403  # a coordinator's own branch (or offices)
    if path == "/rules":
        return 403 if role is Role.FEDERATION else ALLOWED  # every role of a branch reads its own branch's rules
    if path.startswith("/history"):
        if role not in (Role.AUDITOR, Role.BRANCH_ADMIN):
            return 403
        return ALLOWED if branch == "BE" else 404  # another branch's subject does not exist for this caller
    if path.endswith("/events"):
        return ALLOWED if role in (Role.AUDITOR, Role.BRANCH_ADMIN) else 403
    if path.startswith(("/stats", "/figures", "/plan")):
        return ALLOWED  # every role reads figures, each of its own branch (the federation: the roll-up)
    if path.startswith("/access-log"):
        return ALLOWED if role is Role.BRANCH_ADMIN else 403
    if role is not Role.COORDINATOR:
        return 403
    if branch == "BE":
        return ALLOWED
    if "?office=" in path or path in ("/mentees", "/mentors"):
        return 422  # an office of another branch
    return 404  # another branch's person does not exist for this caller


CALLERS = [(role, branch) for role in Role for branch in (("NL", "BE") if role is not Role.FEDERATION else (None,))]


async def test_every_route_answers_every_role_of_every_branch_as_the_roles_table_says(
    intake: IntakeHarness, reporting: httpx.AsyncClient
):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    clients = {"intake": intake.client, "reporting": reporting}
    auditor = bearer("BE", Role.AUDITOR, subject="auditor-1")

    async def history_arrived() -> bool:
        return (await reporting.get(f"/history/{mentee_id}", headers=auditor)).status_code == 200

    await eventually(history_arrived, 60, "the mentee's history at reporting")
    seen = []
    # The BE coordinator last: its calls change the people the others are refused.
    for role, branch in sorted(CALLERS, key=lambda c: (c == (Role.COORDINATOR, "BE"), c[0].value, c[1] or "")):
        headers = bearer(branch, role, subject=f"{role.value.replace('_', '-')}-1")
        for service, method, path, body in routes(mentee_id, mentor_id):
            answer = await clients[service].request(method, path, json=body, headers=headers)
            want = expected(role, branch, path)
            got = ALLOWED if answer.status_code in (200, 201) else answer.status_code
            assert {h: answer.headers.get(h) for h in SECURITY_HEADERS} == SECURITY_HEADERS, (path, answer.headers)
            assert got == want, (role.value, branch, method, path, answer.status_code, answer.text)
            if got != ALLOWED:
                assert answer.json()["errors"], answer.text  # every refusal names its field and rule
            seen.append((role, branch, path))
    assert len(seen) == len(CALLERS) * len(routes(mentee_id, mentor_id))


async def test_each_reader_sees_their_own_branchs_figures_and_the_federation_only_the_roll_up(
    intake: IntakeHarness, reporting: httpx.AsyncClient
):
    for role in (Role.FUNDER, Role.AUDITOR, Role.BRANCH_ADMIN, Role.COORDINATOR):
        figures = (await reporting.get("/stats/mentees", headers=bearer("NL", role))).json()
        assert set(figures["by_tenant"]) <= {"NL"} and all(o.startswith("nl-") for o in figures["by_office"])
    rollup = (await reporting.get("/stats/mentees", headers=bearer(None, Role.FEDERATION, subject="fed-1"))).json()
    assert "by_office" not in rollup and "by_tenant" in rollup


async def test_a_coordinator_limited_to_offices_reaches_only_those(intake: IntakeHarness):
    at_antwerp = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    gent_only = bearer("BE", offices={"be-gent"})
    assert (await intake.client.get(f"/mentees/{at_antwerp}", headers=gent_only)).status_code == 404
    listing = await intake.client.get("/mentees", params={"office": "be-antwerpen"}, headers=gent_only)
    assert listing.status_code == 403 and listing.json()["errors"][0]["rule"] == "office_of_caller"
    elsewhere = await intake.client.post("/mentees", json=mentee_body(), headers=gent_only)
    assert elsewhere.status_code == 403
    at_gent = await intake.client.post("/mentees", json=mentee_body(office="be-gent"), headers=gent_only)
    assert at_gent.status_code == 201, at_gent.text


async def test_tokens_that_do_not_verify_get_401_with_the_reason_and_change_nothing(intake: IntakeHarness):
    expired = token(ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=2))
    cases = {
        "Bearer " + expired: "expired",
        "Bearer " + token(private_pem=new_key_pair().private_pem): "signature",
        "Bearer not.a.token": "not valid",
        "Basic dXNlcjpwYXNz": "bearer token",
    }
    before = await intake.counts()
    for header, words in cases.items():
        answer = await intake.client.post("/mentees", json=mentee_body(), headers={"Authorization": header})
        assert answer.status_code == 401 and words in answer.json()["errors"][0]["message"], answer.text
    assert await intake.counts() == before
