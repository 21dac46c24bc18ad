"""Fixtures for integration and end-to-end tests: one real stack per session, a fresh database per test."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from shared.eventstore.postgres import apply_schema, create_pool
from shared.topics import TopicSpec, ensure_topics
from tests.infrastructure import StackEndpoints, open_test_stack

# Every service the tests run, in this process or as a `duo` process, seals its hash chain with this key
# (shared/eventstore/chain_key.py), instead of making a key file under the working directory.
os.environ.setdefault("DUO_CHAIN_KEY", secrets.token_urlsafe(32))
os.environ.setdefault("DUO_RELAY_DELIVERY_TIMEOUT_S", "3")  # as `duo run` gives its services: brokers are killed here


def unique(prefix: str) -> str:
    """A name no other test (or earlier run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def eventually(check: Callable[[], Awaitable[bool]], deadline_s: float = 30, what: str = "condition") -> None:
    """Poll `check` until it holds; fail with `what` once the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {deadline_s} s")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def event_keys() -> Iterator[Path]:
    """One folder of event signing keys per session: the relays sign with it, consumers verify with it, and
    tests sign with it what they write as a producer would (tests/signing.py)."""
    folder = Path(tempfile.mkdtemp(prefix="duo-test-keys-"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DUO_EVENT_KEYS_DIR", str(folder))
        yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def infra() -> Iterator[StackEndpoints]:
    # Not under pytest's tmp_path: a concurrent pytest session rotates those folders away,
    # and would delete the data folder of a PostgreSQL that is still running.
    home = Path(tempfile.mkdtemp(prefix="duo-test-"))
    try:
        with open_test_stack(home) as stack:
            yield stack
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest_asyncio.fixture
async def database_url(infra: StackEndpoints) -> AsyncIterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name = unique("t")
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield infra.database_url(name)
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database holding an event store's tables."""
    pool = await create_pool(database_url, min_size=1, max_size=30)
    await apply_schema(pool)
    yield pool
    await pool.close()


@pytest_asyncio.fixture
async def topic(infra: StackEndpoints) -> str:
    """A fresh topic with three partitions."""
    name = unique("topic")
    await ensure_topics(infra.kafka_bootstrap, [TopicSpec(name, "test", 3, 1, {"retention.ms": "-1"})])
    return name
