"""Intake's lookup of who registered an e-mail address reads by its unique indexes in any plan PostgreSQL keeps.

asyncpg prepares the statement, and PostgreSQL may keep a generic plan made while `personal_data` was small. With
one condition `email_index = ANY(..) OR email_normalized = ..` that plan scanned the whole table, so a registration
cost more with every registration before it (issue 21: 0.5 ms and 88 blocks a registration after 2,000, 2.3 ms and
348 blocks after 6,000). The generic plan is forced here, on the table as a new deployment has it (empty).
"""

from __future__ import annotations

import asyncpg
import pytest

from services.intake.adapters.vault import _KNOWN, _STORE
from services.intake.migrations import MIGRATIONS
from shared.migrations import migrate
from tests.query_plans import generic_plan, scanned_relations

pytestmark = pytest.mark.integration


_ADDRESS = ("'BE'", "ARRAY['\\x00'::bytea]", "'a@example.org'")
# A registration's whole statement: the lookup, then the new person's row and key (explained, not run).
_STORED = (*_ADDRESS, "gen_random_uuid()", "'mentee'", "'\\x01'::bytea", "'\\x02'::bytea", "'\\x03'::bytea", "'k1'")


@pytest.mark.parametrize(
    ("query", "arguments"),
    [(f"{_KNOWN} LIMIT 1", _ADDRESS), (_STORE, _STORED)],
    ids=["find_by_email", "a registration's store"],
)
async def test_the_known_address_lookup_never_scans_the_whole_table(database_url: str, query: str, arguments: tuple):
    con = await asyncpg.connect(database_url)
    try:
        await migrate(con, MIGRATIONS)
        plan = await generic_plan(con, query, (), arguments)
    finally:
        await con.close()
    reads = [read for read in scanned_relations(plan) if read[0] != "ModifyTable"]
    of_the_table = [read for read in reads if read[1].startswith("personal_data")]
    # Each read of the table looks up one address: by its index, with the address in the index's condition (the old
    # plan read every row of the branch: a bitmap scan on the tenant alone, the address a filter).
    assert of_the_table, reads
    for node, _, condition in of_the_table:
        assert node in ("Index Scan", "Index Only Scan"), reads
        assert "email_index" in condition or "email_normalized" in condition, reads
