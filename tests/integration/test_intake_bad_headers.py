"""Bad headers and paging get a 4xx naming the header or parameter, and change nothing."""

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
    ("headers", "status", "field", "rule", "words"),
    [
        ({"X-Tenant": "NL"}, 403, "X-Tenant", "token_branch", "the branch of the token"),
        ({"X-Tenant": "be"}, 403, "X-Tenant", "token_branch", "the branch of the token"),
        ([("X-Tenant", "BE"), ("X-Tenant", "BE")], 400, "X-Tenant", "single_header", "at most once"),
        ({"X-Correlation-Id": "not-a-uuid"}, 422, "X-Correlation-Id", "uuid_format", "must be a UUID"),
    ],
    ids=["another branch", "lower-case branch", "repeated branch", "correlation id"],
)
async def test_bad_headers_are_refused_naming_the_header(intake: IntakeHarness, headers, status, field, rule, words):
    response = await intake.client.post("/mentees", json=mentee_body(), headers=headers)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == (field, rule) and words in error["message"], response.text
    assert field in response.json()["detail"]
    assert await intake.counts() == NOTHING


async def test_the_actor_is_the_tokens_subject_whatever_the_client_claims(intake: IntakeHarness):
    response = await intake.client.post("/mentees", json=mentee_body(), headers={"X-Actor": "someone-else"})
    assert response.status_code == 201, response.text
    [actor] = await intake.actors(f"mentee-{response.json()['mentee_id']}")
    assert actor == "coordinator-17"


async def test_every_route_needs_a_token(intake: IntakeHarness):
    some = uuid.uuid4()
    for method, path, body in [
        ("POST", "/mentees", mentee_body()),
        ("POST", "/mentors", mentor_body()),
        ("GET", f"/mentees/{some}", None),
        ("PATCH", f"/mentors/{some}", {"capacity": 2}),
        ("POST", f"/mentees/{some}/withdrawal", {"reason": "other"}),
        ("POST", f"/mentors/{some}/training-modules", {"module": "active_listening"}),
        ("GET", "/mentors?office=be-gent", None),
        ("GET", "/access-log", None),
    ]:
        request = intake.client.build_request(method, path, json=body)
        del request.headers["Authorization"]
        response = await intake.client.send(request)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["errors"][0]["field"] == "Authorization"
    assert await intake.counts() == NOTHING


@pytest.mark.parametrize("params", [{"offset": 10**19}, {"offset": 1_000_001}, {"limit": 101}, {"limit": 0}])
async def test_paging_out_of_bounds_is_422_not_a_500(intake: IntakeHarness, params):
    for path in ("/mentees", "/mentors"):
        response = await intake.client.get(path, params={"office": "be-antwerpen", **params})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == next(iter(params))
    last = await intake.client.get("/mentees", params={"office": "be-antwerpen", "offset": 1_000_000})
    assert last.status_code == 200 and last.json()["items"] == []
