"""Every read of personal data leaves an entry in an append-only, hash-chained access log that a
branch admin reads, and that shows where it was tampered with."""

from __future__ import annotations

import hashlib
import json

import asyncpg
import pytest

from shared.auth.identity import Role
from tests.auth import bearer
from tests.integration.intake_harness import IntakeHarness, mentee_body

pytestmark = pytest.mark.integration

ADMIN = bearer("BE", Role.BRANCH_ADMIN, subject="admin-1")


async def test_profile_and_list_reads_are_recorded_with_who_whom_and_the_correlation_id(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    correlation = "3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c"
    read = await intake.client.get(f"/mentees/{mentee_id}", headers={"X-Correlation-Id": correlation})
    assert read.status_code == 200
    assert (await intake.client.get("/mentees", params={"office": "be-antwerpen"})).status_code == 200
    assert (await intake.client.get("/mentees", params={"office": "be-gent"})).json()["items"] == []

    entries = (await intake.client.get("/access-log", params={"person": mentee_id}, headers=ADMIN)).json()
    assert [e["action"] for e in entries] == ["list_mentees", "read_mentee_profile"]  # newest first
    profile_read = entries[1]
    assert profile_read["subject"] == "coordinator-17" and profile_read["role"] == "coordinator"
    assert profile_read["person_ids"] == [mentee_id] and profile_read["correlation_id"] == correlation
    everything = (await intake.client.get("/access-log", headers=ADMIN)).json()
    assert len(everything) == 2  # an empty page showed nobody: nothing to record
    other_branch = bearer("NL", Role.BRANCH_ADMIN, subject="admin-2")
    assert (await intake.client.get("/access-log", headers=other_branch)).json() == []


async def test_the_log_refuses_changes_and_its_chain_names_the_entry_edited_or_deleted(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    for _ in range(3):
        assert (await intake.client.get(f"/mentees/{mentee_id}")).status_code == 200
    verification = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
    assert verification == {
        "verified_entries": 3,
        "intact": True,
        "first_broken_entry": None,
        "reason": None,
        "erased_entries": 0,
    }

    con = await asyncpg.connect(intake.database_url)
    try:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await con.execute("UPDATE access_log SET subject = 'nobody'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await con.execute("DELETE FROM access_log")
        ids = [r["entry_id"] for r in await con.fetch("SELECT entry_id FROM access_log ORDER BY entry_id")]
        # Someone with the power to lift the guard (a superuser) edits the second entry...
        await con.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
        await con.execute("UPDATE access_log SET subject = 'nobody' WHERE entry_id = $1", ids[1])
        edited = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
        assert edited["intact"] is False and edited["first_broken_entry"] == ids[1]
        assert edited["verified_entries"] == 1 and edited["reason"] == "its content or its hash was changed"
        # ...or deletes it: the entry after it no longer follows its predecessor.
        await con.execute("DELETE FROM access_log WHERE entry_id = $1", ids[1])
        deleted = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
        assert deleted["first_broken_entry"] == ids[2] and "changed or deleted" in deleted["reason"]
    finally:
        await con.close()


async def read_three_times(intake: IntakeHarness) -> list[int]:
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    for _ in range(3):
        assert (await intake.client.get(f"/mentees/{mentee_id}")).status_code == 200
    con = await asyncpg.connect(intake.database_url)
    try:
        return [r["entry_id"] for r in await con.fetch("SELECT entry_id FROM access_log ORDER BY entry_id")]
    finally:
        await con.close()


async def as_superuser(intake: IntakeHarness, *statements: str) -> None:
    con = await asyncpg.connect(intake.database_url)
    try:
        await con.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
        for statement in statements:
            await con.execute(statement)
    finally:
        await con.close()


async def test_the_last_entry_deleted_is_named_by_the_head_kept_outside_the_log(intake: IntakeHarness):
    """The probe's finding: deleting entry 24 of 24 left `{"verified_entries": 23, "intact": true}`."""
    ids = await read_three_times(intake)
    await as_superuser(intake, f"DELETE FROM access_log WHERE entry_id = {ids[-1]}")
    answer = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
    assert answer["intact"] is False and answer["verified_entries"] == 2, answer
    assert answer["first_broken_entry"] == ids[-1] and "cut from the end" in answer["reason"]


async def test_an_entry_edited_and_the_chain_recomputed_without_the_key_is_named(intake: IntakeHarness):
    """The attacker edits an entry and recomputes every hash after it with SHA-256, as an unkeyed chain allowed."""
    ids = await read_three_times(intake)
    await as_superuser(intake, f"UPDATE access_log SET subject = 'nobody' WHERE entry_id = {ids[1]}")
    con = await asyncpg.connect(intake.database_url)
    try:
        previous = "0" * 64
        for row in await con.fetch("SELECT * FROM access_log ORDER BY entry_id"):
            content = [
                row["accessed_at"].isoformat(),
                row["tenant"],
                row["subject"],
                row["role"],
                row["action"],
                sorted(str(p) for p in row["person_ids"]),
                str(row["correlation_id"]),
            ]
            digest = hashlib.sha256((previous + json.dumps(content, separators=(",", ":"))).encode()).hexdigest()
            await con.execute(
                "UPDATE access_log SET previous_hash = $1, entry_hash = $2 WHERE entry_id = $3",
                previous,
                digest,
                row["entry_id"],
            )
            previous = digest
        await con.execute("UPDATE access_log_head SET entry_hash = $1", previous)
    finally:
        await con.close()
    answer = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
    assert answer["intact"] is False and answer["first_broken_entry"] == ids[0], answer  # the first recomputed


async def test_a_cut_tail_with_its_head_deleted_too_is_named(intake: IntakeHarness):
    ids = await read_three_times(intake)
    await as_superuser(intake, f"DELETE FROM access_log WHERE entry_id = {ids[-1]}", "DELETE FROM access_log_head")
    answer = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
    assert answer["intact"] is False and "head is missing" in answer["reason"], answer
