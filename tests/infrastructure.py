"""Where the integration tests find a real PostgreSQL and Kafka-protocol broker.

In order of preference: endpoints given in the environment (DUO_TEST_POSTGRES_URL
and KAFKA_BOOTSTRAP_SERVERS), testcontainers when a Docker engine answers, and
otherwise the embedded stack that `duo infra up` runs, in a temporary data folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StackEndpoints:
    """An admin URL of a PostgreSQL server and a broker's bootstrap servers."""

    postgres_admin_url: str
    kafka_bootstrap: str
    embedded_home: Path | None = None  # set when the embedded stack serves the tests

    def database_url(self, database: str) -> str:
        base, _, _ = self.postgres_admin_url.rpartition("/")
        return f"{base}/{database}"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # docker.errors.DockerException and friends: no engine here
        return False


@contextlib.contextmanager
def _containers() -> Iterator[StackEndpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:18", driver=None) as pg, KafkaContainer().with_kraft() as kafka:
        yield StackEndpoints(pg.get_connection_url(), kafka.get_bootstrap_server())


@contextlib.contextmanager
def _embedded(home: Path) -> Iterator[StackEndpoints]:
    from devtool import stack

    endpoints = stack.up(home)
    try:
        yield StackEndpoints(endpoints.database_url("postgres"), endpoints.kafka_bootstrap, home)
    finally:
        stack.down(home)


@contextlib.contextmanager
def open_test_stack(tmp_home: Path) -> Iterator[StackEndpoints]:
    """The infrastructure for one test session."""
    given_pg, given_kafka = os.environ.get("DUO_TEST_POSTGRES_URL"), os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given_pg and given_kafka:
        yield StackEndpoints(given_pg, given_kafka)
    elif _docker_answers():
        with _containers() as infra:
            yield infra
    else:
        with _embedded(tmp_home) as infra:
            yield infra
