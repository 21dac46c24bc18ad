"""A database gone during a request is a 503 with Retry-After in the platform's error shape; other failures are not."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.http import create_service_app


def app_failing_with(error: Exception) -> TestClient:
    app = create_service_app("test", lambda: None)  # type: ignore[arg-type, return-value]

    @app.post("/commands")
    async def command() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)  # no lifespan: the route needs no runtime


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("connection is closed"),
    ],
)
def test_a_database_outage_is_a_503_with_retry_after_naming_the_database(error: Exception):
    answer = app_failing_with(error).post("/commands", headers={"Idempotency-Key": "k"})
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    body = answer.json()
    assert body["errors"] == [{"field": "database", "rule": "unavailable", "message": body["errors"][0]["message"]}]
    assert "Idempotency-Key" in body["detail"]


def test_any_other_failure_is_not_called_an_outage():
    answer = app_failing_with(FileNotFoundError("template.html")).post("/commands")
    assert answer.status_code == 500
