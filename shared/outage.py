"""A database that went away during a request is an outage, not a bug: 503 with Retry-After, never 500.

When PostgreSQL is killed or restarting, the command's transaction fails with a connection error and is rolled
back with the connection, unless the connection died just as the commit was acknowledged: the client sends the
command again with the same Idempotency-Key, and either way it is done once. A broker outage never fails a
command: the events wait in the outbox, in the same transaction, for the relay.
The body has the shape of every error of the platform (shared/commanding/http.py).
"""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import Request
from fastapi.responses import JSONResponse

from shared.commanding.errors import FieldProblem
from shared.commanding.http import error_body

RETRY_AFTER_S = 2  # a killed PostgreSQL is back within seconds under `duo run`'s supervisor
# The errors of a database that cannot be reached, or dropped the connection mid-request.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,  # refused while the server restarts, or reset when it died
    TimeoutError,  # a connect that did not complete
    asyncpg.PostgresConnectionError,  # the server closed the connection mid-request
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,  # another backend crashed: the server restarts every connection
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # "connection is closed": a pooled connection the dead server had
    asyncpg.InternalClientError,  # a connection left mid-protocol by the server's death
)

log = structlog.get_logger("http")


async def outage_answer(request: Request, exc: Exception) -> JSONResponse:
    """503 naming the database, with Retry-After; the error's type only in the log (its text can quote data)."""
    log.warning("database unavailable", error=type(exc).__name__, method=request.method, path=request.url.path)
    message = "the database is unavailable for a moment; send the request again with the same Idempotency-Key"
    problem = FieldProblem("database", "unavailable", message)
    return JSONResponse(
        status_code=503,
        content=error_body(f"service unavailable: {message} after {RETRY_AFTER_S} s", (problem,)),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
