"""Every string a client can send, in every field of every request body, gets an answer below 500.

Each service runs for real (tests/fuzzing.py's LiveService: uvicorn, its database, the broker). Every
field of every documented request body (found by walking the body's JSON schema: object properties,
array items, map values and keys) is given, in turn, hostile strings drawn by hypothesis: lone
surrogates, NUL and other control characters, invisible and bidirectional format characters, private
use and unassigned code points, very long strings, format-string and SQL look-alikes. The rest of the
body is the documented example (intake), so that the hostile value reaches the service's own checks,
not only the schema's. An answer is a 2xx (the value was acceptable) or a 4xx naming a field, in JSON.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.auth.identity import Role
from tests.auth import bearer
from tests.fuzzing import LiveService
from tests.infrastructure import StackEndpoints
from tests.integration.intake_harness import mentee_body, mentor_body
from tests.integration.test_api_fuzz import DOCUMENTED, SERVICES

pytestmark = pytest.mark.integration

MAP_KEY = "<key>"  # a field's path step for the keys of a map (additionalProperties)
DRAWS_PER_FIELD = 4  # hypothesis' strings per field, besides the explicit lone surrogates

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "\ud800",
            "\udfff",
            "be-antwerpen\udc00",
            "\x00",
            "a\x00b",
            "\u202e\u2066",
            "\ufeff",
            "\U0010ffff",
            "x" * 35_000,
            "%s%n{0}{field}",
            "'; DROP TABLE events; --",
            "\\",
            "\n\r\t",
            "",
        ]
    ),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"]), min_size=1),
    st.text(min_size=1, max_size=300),
)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def fields(schema: dict[str, Any], components: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every leaf of a body's schema (an array's first item, a map's key and a value)."""
    schema = _resolve(schema, components)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if alternatives:
        for alternative in alternatives:
            if _resolve(alternative, components).get("type") != "null":
                yield from fields(alternative, components, path)
        return
    if schema.get("type") == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from fields(sub, components, (*path, name))
        if isinstance(schema.get("additionalProperties"), dict):
            yield (*path, MAP_KEY)
            yield from fields(schema["additionalProperties"], components, (*path, "somewhere"))
        return
    if schema.get("type") == "array":
        yield from fields(schema.get("items", {}), components, (*path, "0"))
        return
    yield path


def with_value(body: Any, path: tuple[str, ...], value: str) -> Any:
    """A copy of `body` with `value` at `path` (a map key when the step is MAP_KEY), made where missing."""
    body = copy.deepcopy(body) if body is not None else {}
    if not path:
        return value
    container = body
    for step, following in zip(path, path[1:], strict=False):
        child = container[int(step)] if isinstance(container, list) else container.get(step)
        if not isinstance(child, (dict, list)) or (following.isdigit() != isinstance(child, list)):
            child = [] if following.isdigit() else {}
            _put(container, step, child)
        if isinstance(child, list) and following.isdigit() and not child:
            child.append({})
        container = child
    last = path[-1]
    if last == MAP_KEY:
        assert isinstance(container, dict)
        container[value] = next(iter(container.values()), "x")
    else:
        _put(container, last, value)
    return body


def _put(container: Any, step: str, value: Any) -> None:
    if isinstance(container, list):
        container[int(step)] = value
    else:
        container[step] = value


def body_operations(service: str) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """(method, path, body schema, base body) of every documented operation of `service` that takes a body."""
    document = DOCUMENTED[service].openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                examples = content.get("examples") or {}
                base = next(iter(examples.values()))["value"] if examples else {}
                yield method, path, content["schema"], base


def cases(service: str) -> list[tuple[str, str, tuple[str, ...], Any]]:
    components = DOCUMENTED[service].openapi().get("components", {}).get("schemas", {})
    return [
        (method, path, field, base)
        for method, path, schema, base in body_operations(service)
        for field in dict.fromkeys(fields(schema, components))
    ]


CASES = [(service, *case) for service in ("intake", "matching", "tracking") for case in cases(service)]


@pytest.fixture(scope="module")
def live(infra: StackEndpoints) -> Iterator[dict[str, LiveService]]:
    running: dict[str, LiveService] = {}
    try:
        for name in ("intake", "matching", "tracking"):
            running[name] = LiveService(infra, name, SERVICES[name]).__enter__()
        yield running
    finally:
        for service in running.values():
            service.__exit__(None, None, None)


@pytest.fixture(scope="module")
def people(live: dict[str, LiveService]) -> dict[str, str]:
    """A mentee and a mentor registered at intake, so that the commands on a person reach their checks."""
    intake, ids = live["intake"], {}
    for kind, body in (("mentee", mentee_body), ("mentor", mentor_body)):
        answer = intake.session.post(f"{intake.base_url}/{kind}s", json=body(), headers=bearer("BE"), timeout=30)
        assert answer.status_code == 201, answer.text
        ids[f"{kind}_id"] = answer.json()[f"{kind}_id"]
    return ids


def test_every_body_field_of_every_service_is_swept():
    swept = {(service, path) for service, _, path, _, _ in CASES}
    assert ("intake", "/mentees") in swept and ("tracking", "/duos/{duo_id}/meetings") in swept
    probed = {(service, ".".join(field)) for service, method, path, field, _ in CASES if method == "post"}
    for field in ("office", "job_target.sector", "email", "first_name"):
        assert ("intake", field) in probed, field
    assert ("intake", "experience.0.sector") in probed


@pytest.mark.parametrize(
    ("service", "method", "path", "field", "base"),
    CASES,
    ids=[f"{s}:{m} {p} {'.'.join(f) or 'body'}" for s, m, p, f, _ in CASES],
)
def test_a_hostile_string_in_any_body_field_gets_an_answer_below_500_naming_a_field(
    service: str, method: str, path: str, field: tuple[str, ...], base: Any, live, people
):
    server = live[service]
    role = Role(DOCUMENTED[service].openapi()["paths"][path][method]["x-roles"][0])
    ids = {"duo_id": uuid.uuid4(), "proposal_id": uuid.uuid4(), "job_id": uuid.uuid4(), "referral_id": uuid.uuid4()}
    url = server.base_url + path.format(**people, **ids)
    if path in ("/mentees", "/mentors"):
        base = (mentee_body if path == "/mentees" else mentor_body)()  # a fresh e-mail: not refused as a duplicate

    @settings(
        max_examples=DRAWS_PER_FIELD,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @example("\ud800")
    @example("\x00")
    @given(HOSTILE)
    def one(value: str) -> None:
        sent = json.dumps(with_value(base, field, value))  # ASCII escapes: lone surrogates travel as JSON allows
        headers = {**bearer("BE", role), "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        answer = server.session.request(method.upper(), url, data=sent.encode(), headers=headers, timeout=30)
        assert answer.status_code < 500, (method, path, field, repr(value)[:80], answer.status_code, answer.text[:300])
        if answer.status_code >= 400:
            assert answer.json()["errors"][0]["field"], answer.text

    one()
