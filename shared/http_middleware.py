"""The correlation id and the request metrics as pure ASGI middlewares.

Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`) runs the app in a task of its own and streams its
answer through a memory channel: each request pays for it, and a client that goes away before the answer makes
`call_next` raise "No response returned", which uvicorn logs as an ERROR with a stack trace. These wrap `send`
and `receive` instead: no extra task, no copy of the body, and a client that left is one INFO line (and a 499 in
the metrics, nginx's "client closed request").
"""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import ServiceMetrics

CORRELATION_HEADER = "X-Correlation-Id"
CLIENT_CLOSED_REQUEST = 499

log = structlog.get_logger("http")


def _bad_correlation_id() -> JSONResponse:
    message = "must be a UUID, such as 3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c"
    return JSONResponse(
        status_code=422,
        content={
            "detail": f"invalid request: {CORRELATION_HEADER}: {message}",
            "errors": [{"field": CORRELATION_HEADER, "rule": "uuid_format", "message": message}],
        },
    )


class Correlate:
    """Takes the request's X-Correlation-Id (a UUID) or makes one, binds it to every log line of the request,
    puts it in `request.state.correlation_id` and in the answer's headers; refuses one that is not a UUID (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(CORRELATION_HEADER)
        try:
            correlation_id = str(uuid.UUID(given)) if given else str(uuid.uuid4())
        except ValueError:
            await _bad_correlation_id()(scope, receive, send)
            return
        scope.setdefault("state", {})["correlation_id"] = uuid.UUID(correlation_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            await self.app(scope, receive, send_with_id)


class Measure:
    """Counts every answer in the app's metrics (shared/metrics.py), and a client gone before its answer as 499
    with one INFO line, never an error: nothing failed on our side."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        gone = complete = False

        async def receive_watching() -> Message:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        async def send_watching(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive_watching, send_watching)
        except OSError:  # the server could not write to a client that left (uvicorn's ClientDisconnected)
            if not gone:
                raise
        except BaseException:
            # Starlette's ServerErrorMiddleware, outside this one, answers 500 and logs the error.
            self.metrics.observe(scope, 500, started)
            raise
        if gone and not complete:
            status = CLIENT_CLOSED_REQUEST
            log.info("client disconnected before the answer", method=scope["method"], path=scope["path"])
        if status is not None:
            self.metrics.observe(scope, status, started)
