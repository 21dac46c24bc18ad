"""`duo infra up | down | status`: the embedded PostgreSQL and Kafka-wire broker under one data folder."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import asyncpg

from shared.endpoints import STATE_FILE, InfraEndpoints, read_endpoints, service_database
from shared.infra.database_roles import ServiceLogin, ensure_service_roles
from shared.infra.embedded_postgres_server import (
    SERVICE_DATABASES,
    ensure_role_passwords,
    postgres_running,
    start_postgres,
    stop_postgres,
)
from shared.infra.processes import (
    free_port,
    port_answers,
    stop_abandoned_servers,
    wait_for_port,
)
from shared.infra.tansu_broker import start_tansu, stop_tansu, tansu_running
from shared.topics import declared_topics, ensure_topics


def default_home() -> Path:
    """The data folder: $DUO_HOME, or `.duo/` in the working directory."""
    return Path(os.environ.get("DUO_HOME", ".duo")).resolve()


def _choose_endpoints(home: Path) -> InfraEndpoints:
    # Reuse the recorded ports where free, so URLs stay stable across restarts.
    previous = read_endpoints(home)
    chosen = {}
    for name, variable, before in (
        ("postgres_port", "DUO_POSTGRES_PORT", previous and previous.postgres_port),
        ("kafka_port", "DUO_KAFKA_PORT", previous and previous.kafka_port),
    ):
        asked = int(os.environ.get(variable) or 0)
        if asked and port_answers(asked):
            raise RuntimeError(f"{variable}={asked}: something already listens on that port")
        chosen[name] = asked or (before if before and not port_answers(before) else free_port())
    return InfraEndpoints(chosen["postgres_port"], chosen["kafka_port"])


async def _create_databases(endpoints: InfraEndpoints, passwords: dict[str, str]) -> None:
    """The service databases, each owned by its service's role, the only one let in (ADR 0007)."""
    con = await asyncpg.connect(endpoints.database_url("postgres"))
    try:
        existing = {r["datname"] for r in await con.fetch("SELECT datname FROM pg_database")}
        for name in SERVICE_DATABASES:
            if name not in existing:
                await con.execute(f'CREATE DATABASE "{name}"')
    finally:
        await con.close()
    logins = [
        ServiceLogin(role=service_database(service), database=service_database(service), password=password)
        for service, password in passwords.items()
    ]
    await ensure_service_roles(endpoints.database_url, logins)


async def _requeue_stores(endpoints: InfraEndpoints) -> None:
    from shared.outbox.relay import republish_all

    for database in SERVICE_DATABASES:
        con = await asyncpg.connect(endpoints.database_url(database))
        try:
            if await con.fetchval("SELECT to_regclass('outbox') IS NOT NULL"):
                await republish_all(con)
        finally:
            await con.close()


def up(home: Path | None = None) -> InfraEndpoints:
    """Start whatever is not running, create the service databases, their roles and topics; idempotent."""
    home = home or default_home()
    home.mkdir(parents=True, exist_ok=True)
    status = infra_status(home)
    recorded = read_endpoints(home) if status["postgres"] and status["kafka"] else None
    fresh_broker = recorded is None
    if recorded is not None:
        endpoints = recorded
    else:
        stop_abandoned_servers()
        down(home)  # a half-running stack (one server died) is restarted whole
        endpoints = _choose_endpoints(home)
        (home / STATE_FILE).write_text(
            json.dumps({"postgres_port": endpoints.postgres_port, "kafka_port": endpoints.kafka_port})
        )
        try:
            start_tansu(home, endpoints.kafka_port)
            start_postgres(home, endpoints.postgres_port)
            wait_for_port(endpoints.kafka_port, 15, "the Tansu broker")
        except BaseException:
            down(home)  # never leave one server running without the other
            raise
        endpoints = read_endpoints(home) or endpoints  # now with the password of a freshly made data folder
    asyncio.run(_create_databases(endpoints, ensure_role_passwords(home)))
    asyncio.run(ensure_topics(endpoints.kafka_bootstrap, declared_topics()))
    if fresh_broker:
        # Tansu keeps its log in memory: a new broker is empty, while the stores on disk
        # still hold every fact. Queue them all; consumers dedupe by event id.
        asyncio.run(_requeue_stores(endpoints))
    return endpoints


def down(home: Path | None = None) -> None:
    """Stop both servers of this data folder, found by their marks even if `up` was killed."""
    home = home or default_home()
    stop_tansu(home)
    stop_postgres(home)


def infra_status(home: Path | None = None) -> dict[str, bool]:
    """Which of the servers of this data folder are running."""
    home = home or default_home()
    return {"postgres": postgres_running(home), "kafka": tansu_running(home)}
