"""RequestLimits: what a request body may cost (size, media type, encoding, nesting) and may not do (repeat a key),
refused in the one 4xx shape."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import Message

from shared.request_limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, RequestLimits, duplicate_key

JSON = {"Content-Type": "application/json"}


class Doc(BaseModel):
    a: Any = None


def make_app(**limits: int) -> FastAPI:
    app = FastAPI()

    @app.post("/items")
    async def create(doc: Doc) -> dict:
        return {"received": doc.a}

    @app.patch("/items")
    async def change(doc: Doc) -> dict:
        return {"received": doc.a}

    @app.get("/items")
    async def read() -> dict:
        return {"items": []}

    app.add_middleware(RequestLimits, **limits)
    return app


def client(**limits: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app(**limits)), base_url="http://test")


def nested(depth: int) -> str:
    """A Doc whose body nests `depth` levels: the object itself, then arrays."""
    return '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def assert_refused(response: httpx.Response, status: int, field: str, rule: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"] == [{"field": field, "rule": rule, "message": body["errors"][0]["message"]}]
    assert isinstance(body["errors"][0]["message"], str) and body["errors"][0]["message"] in body["detail"]


# --- size: 413 ---


async def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read() -> None:
    async def never_read() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    headers = JSON | {"Content-Length": str(MAX_BODY_BYTES + 1)}
    async with client() as c:
        response = await c.post("/items", content=never_read(), headers=headers)
    assert_refused(response, 413, "body", "max_body_size")


async def test_a_chunked_body_over_the_limit_is_refused_while_streaming_without_reading_it_all() -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"a": "'
        for _ in itertools.count():
            sent += 1024
            yield b"x" * 1024

    async with client() as c:
        response = await c.post("/items", content=endless(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert_refused(response, 413, "body", "max_body_size")
    assert sent <= MAX_BODY_BYTES + 1024  # stopped at the limit, not at the end


async def test_a_streamed_body_longer_than_its_content_length_is_refused() -> None:
    sent: list[Message] = []
    chunks = iter([b"x" * 40_000, b"x" * 40_000])

    async def receive() -> Message:
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/items", "headers": [(b"content-length", b"10")]}
    await RequestLimits(make_app())(scope, receive, send)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["errors"][0]["rule"] == "max_body_size"


async def test_a_body_of_exactly_the_limit_passes() -> None:
    padding = "x" * (MAX_BODY_BYTES - len('{"a": ""}'))
    body = f'{{"a": "{padding}"}}'.encode()
    assert len(body) == MAX_BODY_BYTES
    async with client() as c:
        response = await c.post("/items", content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"received": padding}


async def test_the_limit_is_an_option() -> None:
    async with client(max_body_bytes=10) as c:
        response = await c.post("/items", content=b'{"a": "12345"}', headers=JSON)
    assert_refused(response, 413, "body", "max_body_size")


# --- media type: 415 ---


async def test_text_plain_is_refused() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"a": 1}', headers={"Content-Type": "text/plain"})
    assert_refused(response, 415, "Content-Type", "json_content_type")


async def test_a_charset_other_than_utf8_is_refused() -> None:
    async with client() as c:
        response = await c.post(
            "/items", content=b'{"a": 1}', headers={"Content-Type": "application/json; charset=latin-1"}
        )
    assert_refused(response, 415, "Content-Type", "json_content_type")


async def test_a_body_without_content_type_is_refused() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"a": 1}')
    assert_refused(response, 415, "Content-Type", "json_content_type")


async def test_json_in_utf8_passes_whatever_the_case_and_parameters() -> None:
    async with client() as c:
        for content_type in (
            "application/json; charset=utf-8",
            'Application/JSON; Charset="UTF-8"',
            "application/json",
        ):
            response = await c.post("/items", content=b'{"a": 1}', headers={"Content-Type": content_type})
            assert response.status_code == 200, content_type


async def test_merge_patch_json_is_accepted_on_patch_only() -> None:
    merge_patch = {"Content-Type": "application/merge-patch+json"}
    async with client() as c:
        assert (await c.patch("/items", content=b'{"a": 1}', headers=merge_patch)).status_code == 200
        response = await c.post("/items", content=b'{"a": 1}', headers=merge_patch)
    assert_refused(response, 415, "Content-Type", "json_content_type")


async def test_an_empty_body_without_content_type_passes_through_to_fastapi() -> None:
    async with client() as c:
        response = await c.post("/items")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"  # FastAPI's own answer


# --- encoding and nesting: 422 ---


async def test_a_body_that_is_not_utf8_is_refused() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"a": "\xff"}', headers=JSON)
    assert_refused(response, 422, "body", "utf8")


async def test_utf16_json_is_refused_although_it_decodes_as_utf8() -> None:
    async with client() as c:
        response = await c.post("/items", content='{"a": 1}'.encode("utf-16-le"), headers=JSON)
    assert_refused(response, 422, "body", "utf8")


async def test_very_deep_nesting_is_refused_without_recursion() -> None:
    body = "[" * 100_000 + "]" * 100_000
    async with client(max_body_bytes=1_000_000) as c:
        response = await c.post("/items", content=body, headers=JSON)
    assert_refused(response, 422, "body", "max_json_depth")


async def test_nesting_one_past_the_limit_is_refused_and_at_the_limit_passes() -> None:
    assert MAX_JSON_DEPTH == 32
    async with client() as c:
        refused = await c.post("/items", content=nested(MAX_JSON_DEPTH + 1), headers=JSON)
        passed = await c.post("/items", content=nested(MAX_JSON_DEPTH), headers=JSON)
    assert_refused(refused, 422, "body", "max_json_depth")
    assert passed.status_code == 200
    assert passed.json() == {"received": json.loads(nested(MAX_JSON_DEPTH))["a"]}


async def test_brackets_inside_strings_do_not_count() -> None:
    text = '[{"\\"' * 1000  # brackets, braces and escaped quotes, all inside one string
    async with client() as c:
        response = await c.post("/items", content=json.dumps({"a": text}), headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"received": text}


async def test_the_depth_is_an_option() -> None:
    async with client(max_json_depth=2) as c:
        response = await c.post("/items", content=nested(3), headers=JSON)
    assert_refused(response, 422, "body", "max_json_depth")


# --- what passes through ---


async def test_a_body_that_passes_reaches_the_app_unchanged() -> None:
    value = {"name": "Zoë", "list": [1, 2.5, None, True], "nested": {"x": "[{"}}
    async with client() as c:
        response = await c.post("/items", content=json.dumps({"a": value}, ensure_ascii=False).encode(), headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"received": value}


async def test_get_passes_straight_through() -> None:
    async with client(max_body_bytes=0) as c:
        response = await c.get("/items")
    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_a_client_that_disconnects_mid_body_gets_no_answer_and_the_app_is_not_called() -> None:
    messages: Iterator[Message] = iter(
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(*_: Any) -> None:
        raise AssertionError("the app was called")

    scope = {"type": "http", "method": "POST", "path": "/items", "headers": [(b"content-type", b"application/json")]}
    await RequestLimits(app)(scope, receive, send)
    assert sent == []


# --- duplicate keys: 422 ---


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"a": 1, "a": 2}', "a"),
        ('{"a": {"consent": false, "consent": true}}', "consent"),
        ('{"a": [{"x": 1}, {"y": 1, "y": 1}]}', "y"),
        ('{"a": 1, "\\u0061": 2}', "a"),  # one key, once escaped
    ],
    ids=["top level", "nested object", "object in an array", "escaped spelling"],
)
async def test_a_key_repeated_in_one_object_is_refused_naming_the_key(body: str, key: str) -> None:
    async with client() as c:
        response = await c.post("/items", content=body, headers=JSON)
    assert_refused(response, 422, "body", "duplicate_key")
    assert f'"{key}"' in response.json()["errors"][0]["message"]
    assert response.json()["detail"].startswith("invalid request: body: ")


async def test_a_duplicate_key_is_refused_on_patch_too() -> None:
    async with client() as c:
        response = await c.patch("/items", content=b'{"a": 1, "a": 1}', headers=JSON)
    assert_refused(response, 422, "body", "duplicate_key")


async def test_the_same_key_in_different_objects_passes() -> None:
    value = {"a": {"x": 1}, "b": [{"x": 2}, {"x": 3}]}
    async with client() as c:
        response = await c.post("/items", content=json.dumps({"a": value}), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": value}


async def test_a_repeated_key_that_cannot_be_printed_is_named_in_ascii_escapes() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"\\ud800": 1, "\\ud800": 2}', headers=JSON)
    assert_refused(response, 422, "body", "duplicate_key")
    assert '"\\ud800"' in response.json()["errors"][0]["message"]


async def test_malformed_json_with_a_repeated_key_is_left_to_the_app() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"a": 1, "a": 2', headers=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"  # FastAPI's own answer


def test_duplicate_key_finds_the_first_repeated_key_and_nothing_in_what_is_not_json() -> None:
    assert duplicate_key(b'{"b": {"c": 1, "c": 2}, "a": 1, "a": 2}') == "c"
    assert duplicate_key(b'{"a": 1, "b": 2}') is None
    assert duplicate_key(b"") is None
    assert duplicate_key(b"not json") is None
    assert duplicate_key(b"[1, 2, 1]") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"a": "\\ud800"}', "a"),
        ('{"a": {"sector": "Q\\udfff"}}', "a.sector"),
        ('{"a": [{"sector": "ok"}, {"sector": "\\udc00"}]}', "a.1.sector"),
        ('{"a": {"\\ud800": 1}}', "a"),  # a key holding one: named by the object it is in
        ('"\\ud800"', "body"),
    ],
    ids=["field", "nested field", "array item", "key", "the body itself"],
)
async def test_a_lone_surrogate_anywhere_is_refused_naming_its_field(body: str, field: str) -> None:
    async with client() as c:
        response = await c.post("/items", content=body, headers=JSON)
    assert_refused(response, 422, field, "unicode_text")


async def test_a_surrogate_pair_is_a_character_and_passes() -> None:
    async with client() as c:
        response = await c.post("/items", content=b'{"a": "\\ud83d\\ude00"}', headers=JSON)
    assert response.status_code == 200 and response.json() == {"received": "\U0001f600"}, response.text
