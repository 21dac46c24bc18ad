"""Erasure down to the disk (crypto-shredding, docs/adr/0020): once a person is erased, no file of the PostgreSQL
server holds any of their values (tables, indexes, dead rows, the WAL, the server's log), and the key that opened
the sealed copies still lying there is gone."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.auth.identity import Role
from tests.auth import bearer
from tests.infrastructure import StackEndpoints
from tests.integration.intake_harness import IntakeHarness, mentee_body

pytestmark = pytest.mark.integration

ADMIN = bearer("BE", Role.BRANCH_ADMIN, subject="admin-1")


async def server_files(infra: StackEndpoints) -> list[Path]:
    """Every file of the test server's data directory (pg_wal included), and its log when it is the embedded one."""
    admin = await asyncpg.connect(infra.postgres_admin_url)
    try:
        # Writes every changed page to the table and index files, so dead rows are on disk to be searched too.
        await admin.execute("CHECKPOINT")
        data_directory = Path(await admin.fetchval("SHOW data_directory"))
    finally:
        await admin.close()
    assert data_directory.is_dir(), f"the tests must run beside their PostgreSQL server to read {data_directory}"
    files = [path for path in data_directory.rglob("*") if path.is_file()]
    if infra.embedded_home is not None:
        files += list(infra.embedded_home.glob("postgres*.log"))
    return files


async def found_on_disk(infra: StackEndpoints, values: list[bytes]) -> dict[bytes, list[str]]:
    """Which of `values` are in which of the server's files."""
    found: dict[bytes, list[str]] = {value: [] for value in values}
    for path in await server_files(infra):
        try:
            content = path.read_bytes()
        except FileNotFoundError:  # a file of another test's database, dropped meanwhile
            continue
        for value in values:
            if value in content:
                found[value].append(str(path))
    return {value: paths for value, paths in found.items() if paths}


def letters() -> str:
    """Eight random lower-case letters: a name part no other test writes."""
    return "".join(chr(ord("a") + b % 26) for b in secrets.token_bytes(8))


async def test_after_erasure_no_file_of_the_database_server_holds_a_value_of_the_person(
    intake: IntakeHarness, infra: StackEndpoints
):
    person: dict[str, Any] = {
        "first_name": "Zephyr" + letters(),
        "last_name": "Quill" + letters(),
        "email": f"zq-{uuid.uuid4().hex[:12]}@example.org",
        "phone": f"+32 470 {secrets.randbelow(10**6):06d}",
        "birth_date": (date(1998, 1, 1) + timedelta(days=secrets.randbelow(180))).isoformat(),
        "job_target": {"sector": "Q", "occupation": f"lighthouse keeper {letters()}"},
    }
    registered = await intake.client.post("/mentees", json=mentee_body(**person))
    assert registered.status_code == 201, registered.text
    mentee_id = uuid.UUID(registered.json()["mentee_id"])
    # A change writes the data again: one more copy (a dead row, another WAL record) for erasure to reach.
    new_occupation = f"night keeper {letters()}"
    changed = await intake.client.patch(
        f"/mentees/{mentee_id}", json={"job_target": {"sector": "Q", "occupation": new_occupation}}
    )
    assert changed.status_code == 200, changed.text
    profile = (await intake.client.get(f"/mentees/{mentee_id}")).json()["personal"]
    assert (profile["first_name"], profile["job_target_occupation"]) == (person["first_name"], new_occupation)
    values = [
        person["first_name"],
        person["last_name"],
        person["email"],
        person["phone"].removeprefix("+32 "),
        person["birth_date"],
        person["job_target"]["occupation"],
        new_occupation,
    ]

    con = await asyncpg.connect(intake.database_url)
    try:
        sealed = await con.fetchval("SELECT sealed FROM personal_data WHERE person_id = $1", mentee_id)
        assert await con.fetchval("SELECT count(*) FROM data_keys WHERE person_id = $1", mentee_id) == 1
        # The search can find what is there: a value written in clear is found in the server's files.
        canary = f"canary-{uuid.uuid4().hex}"
        await con.execute("CREATE TABLE canary (value TEXT)")
        await con.execute("INSERT INTO canary VALUES ($1)", canary)
    finally:
        await con.close()

    erased = await intake.client.post(
        f"/mentees/{mentee_id}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN
    )
    assert erased.status_code == 200, erased.text

    con = await asyncpg.connect(intake.database_url)
    try:
        # The key is gone: nothing can open the sealed copies the WAL and dead rows still hold.
        assert await con.fetchval("SELECT count(*) FROM data_keys WHERE person_id = $1", mentee_id) == 0
        assert await con.fetchval("SELECT count(*) FROM personal_data WHERE person_id = $1", mentee_id) == 0
    finally:
        await con.close()
    tag = sealed[-16:]  # the last bytes of the sealed data: its GCM tag, random
    on_disk = await found_on_disk(infra, [canary.encode(), tag, *(value.encode() for value in values)])
    assert canary.encode() in on_disk, "the search of the server's files finds nothing at all"
    assert tag in on_disk, "the sealed copy is still on disk (the WAL), as ciphertext whose key is gone"
    left = {value: on_disk[value.encode()] for value in values if value.encode() in on_disk}
    assert not left, f"personal values in the server's files after erasure: {left}"
