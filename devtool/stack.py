"""`duo infra up | down | status`: the embedded PostgreSQL and Kafka-wire broker under one data folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg

from devtool.database_roles import ServiceLogin, ensure_service_roles
from devtool.embedded_postgres_server import (
    SERVICE_DATABASES,
    SERVICES,
    ensure_role_passwords,
    postgres_running,
    start_postgres,
    stop_postgres,
)
from devtool.processes import (
    free_port,
    port_answers,
    stop_abandoned_servers,
    wait_for_port,
)
from devtool.tansu_broker import start_tansu, stop_tansu, tansu_running
from shared.config import PlatformEnvironment
from shared.endpoints import STATE_FILE, InfraEndpoints, read_endpoints, runtime_role, service_database
from shared.local_secrets import duo_home
from shared.topics import declared_topics, ensure_topics, federation_topic


def default_home() -> Path:
    """The data folder: $DUO_HOME, or `.duo/` in the working directory."""
    return duo_home()


def _choose_endpoints(home: Path) -> InfraEndpoints:
    # Reuse the recorded ports where free, so URLs stay stable across restarts.
    previous = read_endpoints(home)
    platform = PlatformEnvironment.from_environ()
    chosen = {}
    for name, variable, asked, before in (
        ("postgres_port", "DUO_POSTGRES_PORT", platform.duo_postgres_port, previous and previous.postgres_port),
        ("kafka_port", "DUO_KAFKA_PORT", platform.duo_kafka_port, previous and previous.kafka_port),
    ):
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
        ServiceLogin(
            role=service_database(service),
            database=service_database(service),
            password=passwords[service],
            runtime_password=passwords[runtime_role(service)],
        )
        for service in SERVICES
    ]
    await ensure_service_roles(endpoints.database_url, logins)


def _postgres_serves(home: Path, endpoints: InfraEndpoints) -> bool:
    return postgres_running(home) and port_answers(endpoints.postgres_port)


def _broker_serves(home: Path, endpoints: InfraEndpoints) -> bool:
    return tansu_running(home) and port_answers(endpoints.kafka_port)


def _recorded(home: Path) -> InfraEndpoints:
    endpoints = read_endpoints(home)
    if endpoints is None:
        raise RuntimeError(f"no servers were ever started for {home}: run `duo infra up`")
    return endpoints


def _port_free_for(port: int, what: str) -> None:
    if port_answers(port):
        raise RuntimeError(f"the {what} port 127.0.0.1:{port} is taken by another program")


def _start_broker_alone(home: Path, endpoints: InfraEndpoints) -> None:
    stop_tansu(home)  # one that hangs without answering
    _port_free_for(endpoints.kafka_port, "Kafka")
    start_tansu(home, endpoints.kafka_port)
    try:
        wait_for_port(endpoints.kafka_port, 15, "the Tansu broker")
    except BaseException:
        stop_tansu(home)
        raise


def _start_postgres_alone(home: Path, endpoints: InfraEndpoints) -> None:
    # What is left of a killed server first: its backends hold the shared memory a new one needs.
    stop_postgres(home)
    _port_free_for(endpoints.postgres_port, "PostgreSQL")
    start_postgres(home, endpoints.postgres_port)


def restart_broker(home: Path | None = None) -> InfraEndpoints:
    """Bring back the broker alone, on its recorded port, with its topics.

    PostgreSQL and the services keep running. Tansu keeps its log in memory, so the new
    broker is empty: each service's relay sees its new cluster id and publishes its whole
    store to it again, in order, before anything new (shared/outbox/relay.py; consumers
    ignore what they already applied). Idempotent: a broker already answering is kept.
    """
    home = home or default_home()
    endpoints = _recorded(home)
    if not _broker_serves(home, endpoints):
        _start_broker_alone(home, endpoints)
    asyncio.run(ensure_topics(endpoints.kafka_bootstrap, [*declared_topics(), federation_topic()]))
    return endpoints


def restart_postgres(home: Path | None = None) -> InfraEndpoints:
    """Bring back PostgreSQL alone, on its recorded port with its data folder; nothing else is touched.

    Idempotent: a server already answering is kept.
    """
    home = home or default_home()
    endpoints = _recorded(home)
    if not _postgres_serves(home, endpoints):
        _start_postgres_alone(home, endpoints)
    return endpoints


def up(home: Path | None = None) -> InfraEndpoints:
    """Start whatever is not running, create the service databases, their roles and topics; idempotent.

    A server that died alone is started alone, on its recorded port: the other one, and
    whatever uses it, keeps running.
    """
    home = home or default_home()
    home.mkdir(parents=True, exist_ok=True)
    recorded = read_endpoints(home)
    postgres_serves = recorded is not None and _postgres_serves(home, recorded)
    broker_serves = recorded is not None and _broker_serves(home, recorded)
    if recorded is not None and postgres_serves and broker_serves:
        endpoints = recorded
    elif recorded is not None and postgres_serves and not port_answers(recorded.kafka_port):
        endpoints = recorded
        _start_broker_alone(home, endpoints)
    elif recorded is not None and broker_serves and not port_answers(recorded.postgres_port):
        endpoints = recorded
        _start_postgres_alone(home, endpoints)
    else:
        stop_abandoned_servers()
        down(home)  # leftovers, or the one server left when the other's port was taken meanwhile
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
    # Tansu keeps its log in memory: a new broker is empty, while the stores on disk still hold every fact.
    # Each service's relay publishes its whole store to a broker log it never published to (a new cluster id).
    asyncio.run(ensure_topics(endpoints.kafka_bootstrap, [*declared_topics(), federation_topic()]))
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
