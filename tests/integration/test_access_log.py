"""Every read of personal data leaves an entry in an append-only, hash-chained access log that a
branch admin reads, and that shows where it was tampered with."""

from __future__ import annotations

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
    assert verification == {"verified_entries": 3, "intact": True, "first_broken_entry": None, "reason": None}

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
        assert edited["verified_entries"] == 1 and edited["reason"] == "its content was changed"
        # ...or deletes it: the entry after it no longer follows its predecessor.
        await con.execute("DELETE FROM access_log WHERE entry_id = $1", ids[1])
        deleted = (await intake.client.get("/access-log/verification", headers=ADMIN)).json()
        assert deleted["first_broken_entry"] == ids[2] and "changed or deleted" in deleted["reason"]
    finally:
        await con.close()
