"""Intake, tracking and reporting as real HTTP servers (uvicorn, one child process each) on 127.0.0.1, on fresh
databases and topics of their own, with a key pair of the benchmark's: what the HTTP benchmarks drive.

Each service logs as `duo serve` does (INFO, JSON), to a file in the benchmark's folder instead of the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.common import Servers, free_port, fresh_database, unique
from shared.auth.identity import Identity, Role
from shared.auth.keys import new_key_pair
from shared.auth.tokens import issue_token
from shared.tenancy import Tenant
from shared.topics import declared_topics, ensure_topics

EXAMPLES_DATED = date(2026, 11, 26)  # intake's API examples are eligible on this day: intake's clock says so
SERVICES = ("intake", "tracking", "reporting")


def _serve(service: str, database_url: str, kafka: str, prefix: str, public_pem: str, port: int, log: str) -> None:
    """In a child process: one service under uvicorn until terminated."""
    sys.stderr = open(log, "a", buffering=1)  # noqa: SIM115  (the process's stderr for its whole life)
    import importlib

    from devtool.cli_services import serve_app
    from shared.auth.tokens import TokenVerifier
    from shared.config import PlatformEnvironment, ServiceSettings
    from shared.logging import configure_logging

    configure_logging(service, "INFO", json_output=True)
    settings = ServiceSettings(
        service,
        database_url,
        kafka,
        topic_prefix=prefix,
        kafka_session_timeout_ms=2000,
        token_verifier=TokenVerifier(public_pem=public_pem),
    )
    create_app = importlib.import_module(f"services.{service}.app").create_app
    if service == "intake":
        shift = datetime.now(UTC).date() - EXAMPLES_DATED
        app = create_app(settings, clock=lambda: datetime.now(UTC) - shift)
    else:
        app = create_app(settings)
    serve_app(app, "127.0.0.1", port, PlatformEnvironment.from_environ().duo_http_keep_alive_s)  # as `duo serve` does


@dataclass
class Running:
    """The running services: their base URLs and database URLs, the topic prefix, and a coordinator's token."""

    urls: dict[str, str]
    databases: dict[str, str]
    prefix: str
    token: str
    kafka: str
    logs: Path = Path()  # the folder of each service's log file, <service>.log
    private_pem: str = field(default="", repr=False)  # to issue tokens of other roles (bench/reads.py)
    pids: dict[str, int] = field(default_factory=dict)  # each service's process, for its memory

    def token_for(self, identity: Identity) -> dict[str, str]:
        """Headers with a bearer token of another identity, signed by the services' key."""
        token = issue_token(self.private_pem, identity, timedelta(hours=12), datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, service: str, connections: int = 64) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=self.urls[service], headers=self.headers, limits=limits, timeout=30)


async def _healthy(url: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer /health within {deadline_s} s")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def running(servers: Servers, services: tuple[str, ...] = SERVICES) -> AsyncIterator[Running]:
    """The services up and healthy, each in its own process; stopped on leaving."""
    prefix = unique("bench") + "."
    await ensure_topics(servers.kafka_bootstrap, declared_topics(prefix))
    keys = new_key_pair()
    token = issue_token(
        keys.private_pem, Identity("bench", Role.COORDINATOR, Tenant.BE, None), timedelta(hours=12), datetime.now(UTC)
    )
    folder = Path(tempfile.mkdtemp(prefix="duo-bench-"))
    context = multiprocessing.get_context("spawn")
    processes = []
    databases, urls = {}, {}
    try:
        for service in services:
            databases[service] = await fresh_database(servers, f"bench_{service}")
            port = free_port()
            urls[service] = f"http://127.0.0.1:{port}"
            args = (service, databases[service], servers.kafka_bootstrap, prefix, keys.public_pem, port)
            process = context.Process(target=_serve, args=(*args, str(folder / f"{service}.log")), daemon=True)
            process.start()
            processes.append(process)
        for service in services:
            await _healthy(urls[service], 60)
        pids = {service: p.pid for service, p in zip(services, processes, strict=True) if p.pid is not None}
        yield Running(urls, databases, prefix, token, servers.kafka_bootstrap, folder, keys.private_pem, pids)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()


async def ledger_has(con: asyncpg.Connection, streams: list[str]) -> list[str]:
    """Which of these streams have a fact in reporting's ledger."""
    rows = await con.fetch("SELECT DISTINCT stream_id FROM ledger WHERE stream_id = ANY($1::text[])", streams)
    return [r["stream_id"] for r in rows]


def mentee_body() -> dict:
    import copy

    from services.intake.api.examples import MENTEE_EXAMPLE

    return copy.deepcopy(MENTEE_EXAMPLE) | {"email": f"{uuid.uuid4().hex[:12]}@example.org"}


def cpu_count() -> int:
    return os.cpu_count() or 1
