"""`duo parked list | replay reporting` against a real database."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from services.reporting.adapters.projection import build_consumer, reporting_tables_ddl
from shared.clock import utc_now
from shared.consuming.ordered import ordered_consumer_ddl
from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant
from tests.cli import duo

pytestmark = pytest.mark.integration


async def test_an_operator_lists_and_replays_parked_events(pool, database_url, infra, tmp_path):
    async with pool.acquire() as con:
        await con.execute(reporting_tables_ddl())
        await con.execute(ordered_consumer_ddl())
        # A schema fault to fix: a constraint the ledger should never have had refuses the Gent office.
        await con.execute("ALTER TABLE ledger ADD CONSTRAINT no_gent CHECK (office <> 'be-gent')")
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="test")
    mentee_id = uuid.uuid4()
    event = EventEnvelope.record(
        NewEvent(MenteeRegistered(mentee_id=mentee_id), meta), f"mentee-{mentee_id}", 1, utc_now()
    )
    consumer = build_consumer(pool)
    assert await consumer.handle(event) is False  # the effect broke a constraint: parked, not blocking

    env = {"REPORTING_DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap}
    listed = await asyncio.to_thread(duo, tmp_path, "parked", "list", "reporting", **env)
    assert listed.returncode == 0, listed.stderr
    [line] = [json.loads(text) for text in listed.stdout.splitlines()]
    assert line["event_id"] == str(event.event_id) and line["reason"] == "CheckViolationError"

    still = await asyncio.to_thread(duo, tmp_path, "parked", "replay", "reporting", **env)
    assert still.returncode == 4 and "0 parked events applied, 1 still parked" in still.stdout

    async with pool.acquire() as con:  # the operator fixes the schema
        await con.execute("ALTER TABLE ledger DROP CONSTRAINT no_gent")
    fixed = await asyncio.to_thread(duo, tmp_path, "parked", "replay", "reporting", **env)
    assert fixed.returncode == 0 and "1 parked events applied, 0 still parked" in fixed.stdout
    async with pool.acquire() as con:
        assert await con.fetchval("SELECT count(*) FROM ledger") == 1
        assert await con.fetchval("SELECT count(*) FROM parked_events") == 0
