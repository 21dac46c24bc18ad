"""A branch's access-log entries erased on purpose (its move to another region, docs/adr/0031): the log's chain
still verifies over the places they held and counts them, new reads chain on after them, and an erasure whose mark
was not made with the log's key still breaks the chain where it happened."""

from __future__ import annotations

import secrets

import asyncpg
import pytest

from services.intake.adapters.access_log import access_log_key
from services.intake.adapters.access_log_erasure import erase_entries
from shared.auth.identity import Role
from shared.tenancy import Tenant
from tests.auth import bearer
from tests.integration.intake_harness import IntakeHarness, mentee_body

pytestmark = pytest.mark.integration

ADMIN = bearer("BE", Role.BRANCH_ADMIN, subject="admin-1")
FRENCH = bearer("FR", Role.COORDINATOR)


async def read_in_turn(intake: IntakeHarness, order: str) -> None:
    """Profile reads, a Belgian's for each B and a French person's for each F of `order`."""
    belgian = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    answer = await intake.client.post("/mentees", json=mentee_body(office="fr-paris"), headers=FRENCH)
    assert answer.status_code == 201, answer.text
    french = answer.json()["mentee_id"]
    for who in order:
        path, headers = (f"/mentees/{belgian}", {}) if who == "B" else (f"/mentees/{french}", FRENCH)
        assert (await intake.client.get(path, headers=headers)).status_code == 200


async def erased(intake: IntakeHarness, key: bytes) -> int:
    con = await asyncpg.connect(intake.database_url)
    try:
        async with con.transaction():
            return await erase_entries(con, Tenant.FR, key, "branch FR moved to region fr")
    finally:
        await con.close()


async def verification(intake: IntakeHarness) -> dict:
    answer = await intake.client.get("/access-log/verification", headers=ADMIN)
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize("order", ["BFBFF", "FFBB"])  # erased entries in the middle and at the end; at the start
async def test_erased_entries_are_passed_over_and_counted_and_new_reads_chain_on(intake: IntakeHarness, order: str):
    await read_in_turn(intake, order)
    assert await erased(intake, access_log_key()) == order.count("F")
    assert await verification(intake) == {
        "verified_entries": order.count("B"),
        "intact": True,
        "first_broken_entry": None,
        "reason": None,
        "erased_entries": order.count("F"),
    }
    await read_in_turn(intake, "B")  # appended after the head, which may name an erased entry
    after = await verification(intake)
    assert after["intact"] and after["verified_entries"] == order.count("B") + 1, after
    assert await erased(intake, access_log_key()) == 0  # again: nothing left of FR


async def test_an_erasure_marked_without_the_logs_key_breaks_the_chain(intake: IntakeHarness):
    await read_in_turn(intake, "BFB")
    await erased(intake, secrets.token_bytes(32))
    broken = await verification(intake)
    assert broken["intact"] is False and broken["verified_entries"] == 1, broken
    assert broken["reason"] == "the entry before it was changed or deleted"
