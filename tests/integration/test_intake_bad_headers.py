"""Bad headers and paging get a 422 naming the header or parameter, and change nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.intake_harness import IntakeHarness, mentee_body, mentor_body

pytestmark = pytest.mark.integration

NOTHING = {"events": 0, "personal_data": 0, "people": 0, "idempotency_keys": 0}


# Headers travel as bytes, read as Latin-1: b"\xb2" arrives as "²", which str.isdigit() took for a digit (a 500).
@pytest.mark.parametrize("value", [b"\xb2", '"\u0663"'.encode(), b'"1"x', b"W/abc", b'"12345678901"'])
async def test_an_if_match_that_is_no_version_is_refused_naming_the_header(intake: IntakeHarness, value: bytes):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    before = await intake.counts()
    for response in (
        await intake.client.patch(f"/mentees/{mentee_id}", json={"languages": ["nl"]}, headers=[(b"If-Match", value)]),
        await intake.client.post(
            f"/mentees/{mentee_id}/withdrawal", json={"reason": "other"}, headers=[(b"If-Match", value)]
        ),
    ):
        assert response.status_code == 422, response.text
        assert (
            response.json()["errors"][0]["field"] == "If-Match" and "version" in response.json()["errors"][0]["message"]
        )
    assert await intake.counts() == before


@pytest.mark.parametrize(
    ("headers", "field", "rule", "words"),
    [
        ({"X-Actor": "marc.peeters@example.org"}, "X-Actor", "staff_id", "never an e-mail address"),
        ({"X-Actor": "Marc Peeters"}, "X-Actor", "staff_id", "opaque staff id"),
        ({"X-Tenant": "DE"}, "X-Tenant", "enum", "'BE', 'NL' or 'FR'"),
        ({"X-Tenant": "be"}, "X-Tenant", "enum", "'BE', 'NL' or 'FR'"),
        ({"X-Correlation-Id": "not-a-uuid"}, "X-Correlation-Id", "uuid_format", "must be a UUID"),
    ],
    ids=["actor e-mail", "actor name", "unknown branch", "lower-case branch", "correlation id"],
)
async def test_bad_headers_are_422_naming_the_header(intake: IntakeHarness, headers, field, rule, words):
    response = await intake.client.post("/mentees", json=mentee_body(), headers=headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == (field, rule) and words in error["message"], response.text
    assert field in response.json()["detail"]
    assert await intake.counts() == NOTHING


async def test_every_route_needs_the_branch_header(intake: IntakeHarness):
    some = uuid.uuid4()
    for method, path, body in [
        ("POST", "/mentees", mentee_body()),
        ("POST", "/mentors", mentor_body()),
        ("GET", f"/mentees/{some}", None),
        ("PATCH", f"/mentors/{some}", {"capacity": 2}),
        ("POST", f"/mentees/{some}/withdrawal", {"reason": "other"}),
        ("POST", f"/mentors/{some}/training-modules", {"module": "active_listening"}),
    ]:
        response = await intake.without_tenant(method, path, json=body)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["errors"] == [{"field": "X-Tenant", "rule": "missing", "message": "Field required"}]
    listing = await intake.without_tenant("GET", "/mentors", params={"office": "be-gent"})
    assert listing.status_code == 422 and listing.json()["errors"][0]["field"] == "X-Tenant"
    assert await intake.counts() == NOTHING


@pytest.mark.parametrize("params", [{"offset": 10**19}, {"offset": 1_000_001}, {"limit": 101}, {"limit": 0}])
async def test_paging_out_of_bounds_is_422_not_a_500(intake: IntakeHarness, params):
    for path in ("/mentees", "/mentors"):
        response = await intake.client.get(path, params={"office": "be-antwerpen", **params})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == next(iter(params))
    last = await intake.client.get("/mentees", params={"office": "be-antwerpen", "offset": 1_000_000})
    assert last.status_code == 200 and last.json()["items"] == []
