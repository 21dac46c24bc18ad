"""The intake service on the real database and broker, driven in-process over ASGI, and its topic read back."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from services.intake.api.examples import MENTEE_EXAMPLE, MENTOR_EXAMPLE
from services.intake.domain.training import TRAINING_MODULES
from shared.shredding import MasterKey, MasterKeyRing
from tests.auth import bearer

EXAMPLES_DATED = date(2026, 11, 26)  # the day the API examples' ages were written for: the tests' clock says so
BE, NL, FR = (bearer(tenant) for tenant in ("BE", "NL", "FR"))  # a coordinator of each branch
VAULT_KEY = MasterKeyRing(MasterKey.generate())  # the in-process intake apps' master key (production: a Secret)


def mentee_body(**changes: Any) -> dict[str, Any]:
    """An eligible Belgian mentee application with a fresh e-mail; keyword arguments replace fields."""
    body = copy.deepcopy(MENTEE_EXAMPLE) | {"email": f"{uuid.uuid4().hex[:10]}@example.org"}
    return body | changes


def mentor_body(**changes: Any) -> dict[str, Any]:
    """An eligible Belgian mentor registration with a fresh e-mail; keyword arguments replace fields."""
    body = copy.deepcopy(MENTOR_EXAMPLE) | {"email": f"{uuid.uuid4().hex[:10]}@example.org"}
    return body | changes


@dataclass
class IntakeHarness:
    """An HTTP client on a running intake app, its database, and its Kafka topic."""

    client: httpx.AsyncClient
    database_url: str
    kafka_bootstrap: str
    topic: str

    async def count(self, table: str) -> int:
        """Rows in one of intake's tables."""
        con = await asyncpg.connect(self.database_url)
        try:
            return await con.fetchval(f"SELECT count(*) FROM {table}")
        finally:
            await con.close()

    async def counts(self) -> dict[str, int]:
        """Rows of every table a command may write."""
        return {t: await self.count(t) for t in ("events", "personal_data", "people", "idempotency_keys")}

    async def stored_events(self, stream_id: str) -> list[str]:
        """Event types of one stream, in the store, in order."""
        con = await asyncpg.connect(self.database_url)
        try:
            rows = await con.fetch(
                "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id
            )
            return [row["event_type"] for row in rows]
        finally:
            await con.close()

    async def actors(self, stream_id: str) -> list[str]:
        """The actor of each event of one stream, in order."""
        con = await asyncpg.connect(self.database_url)
        try:
            rows = await con.fetch("SELECT actor FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id)
            return [row["actor"] for row in rows]
        finally:
            await con.close()

    async def published(
        self, until: Callable[[list[ConsumerRecord]], bool], deadline_s: float = 30
    ) -> list[ConsumerRecord]:
        """Read the topic from the start until `until(records)` holds; fail after the deadline."""
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        records: list[ConsumerRecord] = []
        try:
            deadline = time.monotonic() + deadline_s
            while not until(records):
                if time.monotonic() > deadline:
                    raise AssertionError(f"expected events not on {self.topic} within {deadline_s} s: {records}")
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
            return records
        finally:
            await consumer.stop()

    async def published_stream(self, stream_id: str, count: int) -> list[ConsumerRecord]:
        """The first `count` records of one stream, once all are on the topic."""

        def of_stream(records: list[ConsumerRecord]) -> list[ConsumerRecord]:
            return [r for r in records if r.key == stream_id.encode()]

        return of_stream(await self.published(lambda records: len(of_stream(records)) >= count))


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    """A record's headers as text."""
    return {key: value.decode() for key, value in record.headers}


def body_of(record: ConsumerRecord) -> dict[str, Any]:
    """A record's JSON body."""
    return json.loads(record.value)


async def complete_training(client: httpx.AsyncClient, mentor_id: str, branch: dict[str, str] = BE) -> httpx.Response:
    """Record all eight modules; the answer to the last one."""
    for module in TRAINING_MODULES:
        response = await client.post(f"/mentors/{mentor_id}/training-modules", json={"module": module}, headers=branch)
        assert response.status_code == 200, response.text
    return response


async def make_ready(client: httpx.AsyncClient, mentee_id: str, branch: dict[str, str] = BE) -> httpx.Response:
    """The steps before matching: the information session and a suitable intake interview (on the branch's
    today); the answer to the interview, which says ready_for_matching."""
    session = await client.post(f"/mentees/{mentee_id}/information-session", json={}, headers=branch)
    assert session.status_code == 200, session.text
    interview = await client.post(
        f"/mentees/{mentee_id}/intake-interview", json={"outcome": "suitable"}, headers=branch
    )
    assert interview.status_code == 200 and interview.json()["ready_for_matching"], interview.text
    return interview


async def register_ready_mentee(client: httpx.AsyncClient, **changes: Any) -> str:
    """Register an eligible mentee and take them through the steps before matching; their id."""
    registered = await client.post("/mentees", json=mentee_body(**changes))
    assert registered.status_code == 201, registered.text
    await make_ready(client, registered.json()["mentee_id"])
    return registered.json()["mentee_id"]
