"""What every service's HTTP API shares: lifespan, health, metrics, correlation ids, 4xx errors naming the field."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from shared.api_docs import serve_docs_offline
from shared.auth.keys import configured_verifier
from shared.clock import Clock, utc_now
from shared.commanding.errors import CommandRefused
from shared.commanding.http import refusal_answer
from shared.eventstore.base import WrongExpectedVersion
from shared.health import checks_json, database_reachable, decide
from shared.http_middleware import Correlate, Measure
from shared.metrics import CONTENT_TYPE, ServiceMetrics
from shared.openapi_refusals import document_refusals
from shared.outage import OUTAGE_ERRORS, outage_answer
from shared.request_limits import RequestLimits
from shared.runtime import ServiceRuntime
from shared.scrape_token import check_scrape_token, configured_scrape_token
from shared.security_headers import SecurityHeaders


def _field_path(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "query", "path", "header"))


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 listing every field that failed and why."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        # Malformed JSON is located at ("body", character offset): the field is the body itself.
        {
            "field": "body" if err.get("type") == "json_invalid" else _field_path(tuple(err.get("loc", ()))) or "body",
            "rule": err.get("type"),
            "message": err.get("msg"),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": f"invalid request: {summary}", "errors": errors})


async def version_conflict(_request: Request, exc: Exception) -> JSONResponse:
    """409 in the shape of every 4xx: someone else changed the same record first; reload and retry."""
    assert isinstance(exc, WrongExpectedVersion)
    now = f"the current version is {exc.actual}" if exc.actual is not None else "another change was saved first"
    message = f"the change was based on version {exc.expected}; {now}"
    return JSONResponse(
        status_code=409,
        content={
            "detail": f"concurrent change: {message}; reload and retry",
            "errors": [{"field": "If-Match", "rule": "current_version", "message": message}],
            "stream_id": exc.stream_id,
            "current_version": exc.actual,
        },
    )


def create_service_app(
    title: str, runtime_factory: Callable[[], ServiceRuntime], description: str = "", clock: Clock = utc_now
) -> FastAPI:
    """A FastAPI app whose lifespan starts and stops the service's runtime.

    `clock` is the service's one source of time (`app.state.clock`): each command reads it once.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        try:
            await runtime.start()
        except BaseException:
            await runtime.stop()  # close what was opened before the failure
            raise
        app.state.runtime = runtime
        app.state.token_verifier = runtime.settings.token_verifier or configured_verifier(os.environ)
        try:
            yield
        finally:
            await runtime.stop()

    # /docs from the service's own assets, never a CDN (shared/api_docs.py).
    app = FastAPI(title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None)
    serve_docs_offline(app)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(WrongExpectedVersion, version_conflict)
    app.add_exception_handler(CommandRefused, refusal_answer)
    for outage in OUTAGE_ERRORS:
        app.add_exception_handler(outage, outage_answer)
    document_refusals(app)
    app.state.clock = clock
    # Pure ASGI middlewares (shared/http_middleware.py), the last added outermost: the size limits run inside the
    # correlation id, so refusals carry it; every answer is counted, the correlation and size refusals too.
    app.add_middleware(RequestLimits)
    app.add_middleware(Correlate)
    metrics = app.state.metrics = ServiceMetrics()
    app.add_middleware(Measure, metrics=metrics)
    app.add_middleware(SecurityHeaders)  # outermost: every answer, the refusals of the others too

    @app.get(
        "/health",
        tags=["operations"],
        responses={503: {"description": "failing: the same body, for orchestrators to act on"}},
    )
    async def health(request: Request) -> JSONResponse:
        """`ok`, `degraded` (200) or `failing` (503), the reasons, and what was checked (shared/health.py)."""
        runtime: ServiceRuntime = request.app.state.runtime
        checks = await runtime.health_checks()
        now = utc_now()  # the real time, whatever the service's clock: ages are of real waits
        status, reasons = decide(checks, now, runtime.stall_after_s)
        body = {
            "service": runtime.settings.service,
            "status": status,
            "reasons": reasons,
            # Kept for callers of the earlier /health: events not yet on Kafka (None: not known).
            "outbox_pending": checks.outbox.pending if checks.outbox else (0 if not runtime.publishes else None),
            "stall_after_s": runtime.stall_after_s,
            "checks": checks_json(checks, now),
        }
        return JSONResponse(status_code=503 if status == "failing" else 200, content=body)

    @app.get(
        "/health/ready",
        tags=["operations"],
        responses={503: {"description": "not ready: the database does not answer"}},
    )
    async def readiness(request: Request) -> JSONResponse:
        """The readiness probe: 200 while this replica can serve requests (its database answers), else 503. A
        stalled consumer makes `/health` fail, never this (shared/health.py, database_reachable)."""
        runtime: ServiceRuntime = request.app.state.runtime
        database = await database_reachable(runtime.pool)
        body = {"service": runtime.settings.service, "ready": database.reachable, "database": vars(database)}
        return JSONResponse(status_code=200 if database.reachable else 503, content=body)

    @app.get("/metrics", tags=["operations"], response_class=Response, include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format (shared/metrics.py): requests, latency, outbox, consumers; scrape token only."""
        runtime: ServiceRuntime = request.app.state.runtime
        check_scrape_token(request, runtime.settings.scrape_token or configured_scrape_token(os.environ))
        checks = await runtime.health_checks(group_lag=True)
        now = utc_now()
        status, _reasons = decide(checks, now, runtime.stall_after_s)
        return Response(metrics.exposition(checks, status, now), media_type=CONTENT_TYPE)

    return app
