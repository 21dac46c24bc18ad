"""Intake under an open-loop load through one pooled client, and clients that leave before their answer: no
connection is reset, and nothing is logged as an error (bench/open_loop.py; the full 30 s at 200/s runs there).

A client that goes away is one INFO line: the middlewares are pure ASGI (shared/http_middleware.py), and uvicorn
keeps idle connections open longer than clients do (DUO_HTTP_KEEP_ALIVE_S), so it never closes one under a client.
"""

from __future__ import annotations

import asyncio
import json

from bench.open_loop import error_lines, open_loop
from bench.services import running
from tests.conftest import eventually

RATE_PER_S = 200
SECONDS = 3  # the suite's share; `python -m bench.open_loop 200 30` is the full run


async def _leave_mid_body(url: str) -> None:
    """A POST that announces 1,000 bytes, sends 10 and hangs up."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"POST /mentees HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    writer.write(head.encode() + b'{"given_na')
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def test_open_loop_load_resets_nothing_and_a_client_that_leaves_is_one_info_line(infra) -> None:
    async with running(infra, ("intake",)) as services:
        outcome = await open_loop(services, RATE_PER_S, SECONDS)
        assert outcome.errors == {}, f"connection errors under load: {dict(outcome.errors)}"
        assert set(outcome.statuses) == {201} and outcome.statuses[201] == outcome.sent

        await _leave_mid_body(services.urls["intake"])
        log = services.logs / "intake.log"

        async def said_so() -> bool:
            return any("client disconnected before the answer" in line for line in log.read_text().splitlines())

        await eventually(said_so, 10, "the INFO line of a client that left")
        (line,) = [json.loads(x) for x in log.read_text().splitlines() if "client disconnected" in x]
        assert line["level"] == "info" and line["path"] == "/mentees" and line["method"] == "POST"
        assert error_lines(log) == [], "\n".join(error_lines(log))
