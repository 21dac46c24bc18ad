"""Limits on what one request can cost before any handler parses it: size, media type, encoding, nesting;
and two rules of JSON no parser enforces: each key at most once in an object, no lone surrogate in a string.

A pure ASGI middleware (`app.add_middleware(RequestLimits)`): it reads the body of a POST, PUT
or PATCH itself, counting bytes as they arrive, refuses what breaks a limit in the one 4xx
shape of the platform (shared.commanding.http.error_body), and replays the body unchanged to
the app otherwise. Other methods pass straight through.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.commanding.errors import FieldProblem
from shared.commanding.http import error_body

# Every command of the platform is a small JSON object (a few hundred bytes; a profile with all
# its languages and modules a few KiB). 64 KiB leaves ample room while keeping what an anonymous
# client can make a service hold in memory, and what json and pydantic must chew through, small.
MAX_BODY_BYTES = 64 * 1024
# Commands nest a few levels at most. Parsing, validating and re-serialising deep nesting costs
# stack: Python's json raises RecursionError near 1000 levels, so refuse long before that.
MAX_JSON_DEPTH = 32

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"
# RFC 7396: clients of the PATCH routes (which change only the fields sent) may say so.
MERGE_PATCH_JSON = "application/merge-patch+json"
UTF8 = frozenset({"utf-8", "utf8"})
# A JSON string (an unterminated one runs to the end) or one bracket: brackets in strings never count.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def json_too_deep(body: bytes, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than `max_depth`, without parsing (no recursion)."""
    depth = 0
    for token in _TOKEN.finditer(body):
        char = token[0][:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def duplicate_key(body: bytes) -> str | None:
    """The first key repeated within one JSON object of `body`, or None (also for what is not JSON).

    Python's json (as most parsers) keeps the last of repeated keys, another component may keep the
    first: {"consent": false, "consent": true} must mean one thing, so it means nothing. Parse only
    a body whose nesting is known to be bounded (json_too_deep): json recurses once per level.
    Malformed JSON is left to the app, which answers it in its own words.
    """
    if not body:
        return None
    try:
        json.loads(body, object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        return duplicate.key
    except (ValueError, RecursionError):  # not JSON (or nested past a depth limit set too high): the app answers
        return None
    return None


def _has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def lone_surrogate_field(body: bytes) -> str | None:
    """The field (dotted path, "body" for the body itself) of the first string, key or value, holding a lone
    surrogate, or None (also for what is not JSON).

    JSON may escape half of a UTF-16 pair ("\\ud800"), which is no character: it cannot be stored,
    logged or answered in UTF-8, so a body with one is refused before any handler sees it. Parse only
    a body whose nesting is known to be bounded (json_too_deep).
    """
    if b"\\u" not in body:  # a lone surrogate can only arrive escaped: the body is valid UTF-8
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    pending: list[tuple[tuple[str, ...], Any]] = [((), parsed)]
    while pending:
        path, value = pending.pop(0)
        field = ".".join(path) or "body"
        if isinstance(value, str) and _has_lone_surrogate(value):
            return field
        if isinstance(value, dict):
            for key, item in value.items():
                if _has_lone_surrogate(key):
                    return field
                pending.append(((*path, key), item))
        elif isinstance(value, list):
            pending.extend(((*path, str(index)), item) for index, item in enumerate(value))
    return None


def _quoted(key: str) -> str:
    # ASCII escapes: a key may hold a lone surrogate, which an answer in UTF-8 cannot carry.
    quoted = json.dumps(key)
    return quoted if len(quoted) <= 80 else quoted[:76] + '..."'


def content_type_problem(content_type: str, method: str) -> str | None:
    """Why the Content-Type is not JSON in UTF-8, or None if it is (media type and charset are case-insensitive)."""
    media_type, *params = (part.strip() for part in content_type.split(";"))
    allowed = {JSON, MERGE_PATCH_JSON} if method == "PATCH" else {JSON}
    if media_type.lower() not in allowed:
        return f"must be {' or '.join(sorted(allowed))}, not {media_type or 'empty'}"
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in UTF8:
            return f"charset must be utf-8, not {value.strip()}"
    return None


class RequestLimits:
    """Refuses a request body that is too large (413), not JSON (415), not UTF-8, nested too deep, repeating
    a key in one object or holding a lone surrogate (422)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES, max_json_depth: int = MAX_JSON_DEPTH):
        self.app, self.max_body_bytes, self.max_json_depth = app, max_body_bytes, max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._checked_body(scope, receive)
        except Refused as refusal:
            await refusal.answer(scope, receive, send)
            return
        except ClientGone:
            return  # no one to answer
        await self.app(scope, replay(body, receive), send)

    async def _checked_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, once it breaks no limit; the cheap header checks come before reading any of it."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise Refused(413, "body", "max_body_size", f"must be at most {self.max_body_bytes} bytes")
        content_type = headers.get("content-type")
        if content_type is not None and (problem := content_type_problem(content_type, scope["method"])):
            raise Refused(415, "Content-Type", "json_content_type", problem)
        body = await self._read(receive)
        if body and content_type is None:
            raise Refused(415, "Content-Type", "json_content_type", f"must be {JSON} for a request with a body")
        if not is_utf8(body):
            raise Refused(422, "body", "utf8", "must be UTF-8 encoded JSON")
        if json_too_deep(body, self.max_json_depth):
            message = f"arrays and objects must nest at most {self.max_json_depth} levels deep"
            raise Refused(422, "body", "max_json_depth", message)
        if (key := duplicate_key(body)) is not None:
            message = f"must not repeat the key {_quoted(key)} in one object: which value would count is ambiguous"
            raise Refused(422, "body", "duplicate_key", message)
        if (field := lone_surrogate_field(body)) is not None:
            message = "must be Unicode text: a lone surrogate (an escaped half of a UTF-16 pair) is no character"
            raise Refused(422, field, "unicode_text", message)
        return body

    async def _read(self, receive: Receive) -> bytes:
        """The body, counted as it arrives (chunked or not, whatever Content-Length said): never over the limit."""
        chunks: list[bytes] = []
        size, more_body = 0, True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise Refused(413, "body", "max_body_size", f"must be at most {self.max_body_bytes} bytes")
            chunks.append(chunk)
            more_body = message.get("more_body", False)
        return b"".join(chunks)


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


class Refused(Exception):
    """A broken limit, answered in the platform's 4xx shape: a summary and the one broken rule."""

    SUMMARIES = {413: "request body too large", 415: "unsupported media type", 422: "invalid request"}

    def __init__(self, status: int, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.status, self.problem = status, FieldProblem(field, rule, message)

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"{self.SUMMARIES[self.status]}: {self.problem.field}: {self.problem.message}"
        await JSONResponse(error_body(detail, (self.problem,)), status_code=self.status)(scope, receive, send)


def is_utf8(body: bytes) -> bool:
    """UTF-8 and no NUL byte: JSON has none in UTF-8, while UTF-16/32 JSON is full of them (and is valid UTF-8)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in body


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then hands over (for http.disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
