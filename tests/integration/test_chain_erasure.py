"""Events erased on purpose (a branch moved to another region, docs/adr/0031): `duo audit verify` passes over each
position recorded with a mark of the service's chain key, says how many were erased and why, and still names a
deletion whose mark was not made with the key or was edited afterwards."""

from __future__ import annotations

import os
import secrets

import asyncpg
import pytest

from shared.eventstore.chain_erasure import erase_events
from tests.integration.intake_harness import IntakeHarness
from tests.integration.test_audit_verify import audit, execute, registered_and_published

pytestmark = pytest.mark.integration

REASON = "branch FR moved to region fr"


async def erased(intake: IntakeHarness, positions: list[int], key: bytes) -> int:
    con = await asyncpg.connect(intake.database_url)
    try:
        async with con.transaction():
            return await erase_events(con, key, positions, REASON)
    finally:
        await con.close()


async def test_events_erased_with_the_chain_key_are_named_and_the_chain_verifies(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 4)
    assert await erased(intake, positions[1:3], os.environ["DUO_CHAIN_KEY"].encode()) == 2
    result = await audit(intake, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"intake: verified 2 events; 2 erased on purpose: {REASON}" in result.stdout
    assert "every published event agrees with the store" in result.stdout  # the topic still holds them, chained
    assert await erased(intake, positions[1:3], os.environ["DUO_CHAIN_KEY"].encode()) == 0  # again: nothing left


async def test_an_erasure_marked_without_the_chain_key_breaks_the_chain(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    event_id = await execute(intake, "SELECT event_id FROM events WHERE global_position = $1", positions[1])
    await erased(intake, positions[1:2], secrets.token_bytes(32))
    result = await audit(intake, tmp_path, "--store-only")
    assert result.returncode == 1
    assert f"chain position 2 (event {event_id}): the event is missing from the store (deleted)" in result.stdout


async def test_an_erasure_whose_reason_was_edited_breaks_the_chain(intake: IntakeHarness, tmp_path):
    positions = await registered_and_published(intake, 3)
    await erased(intake, positions[:1], os.environ["DUO_CHAIN_KEY"].encode())
    await execute(intake, "UPDATE erased_events SET reason = 'routine clean-up'")
    result = await audit(intake, tmp_path, "--store-only")
    assert result.returncode == 1 and "chain position 1" in result.stdout and "(deleted)" in result.stdout


async def test_an_event_not_yet_published_is_not_erased(intake: IntakeHarness):
    positions = await registered_and_published(intake, 1)
    await execute(intake, "DELETE FROM event_chain WHERE global_position = $1", positions[0])
    with pytest.raises(ValueError, match="not chained yet"):
        await erased(intake, positions, os.environ["DUO_CHAIN_KEY"].encode())
    assert await execute(intake, "SELECT count(*) FROM events") == 1
