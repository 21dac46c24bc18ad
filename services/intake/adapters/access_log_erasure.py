"""Access-log entries erased on purpose, and the log's chain still verifiable over the places they held.

When a branch moves to a region of its own (docs/adr/0031), its entries go with its people to the new region's
log, and leave the old one: each is recorded in `access_log_erased` (its id, the hash before it, its own hash, why)
under a mark, an HMAC by the access log's key, then deleted. Verifying passes over a run of such entries, from the
hash before each to its own, as long as each mark holds; an entry deleted without one still breaks the chain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import asyncpg

from shared.tenancy import Tenant


def erasure_mark(key: bytes, entry_id: int, previous_hash: str, entry_hash: str, reason: str) -> str:
    content = f"erased\x00{entry_id}\x00{previous_hash}\x00{entry_hash}\x00{reason}"
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


class ErasedEntries:
    """The recorded erasures of a log, to pass over while verifying it."""

    def __init__(self, rows: Sequence[asyncpg.Record], key: bytes) -> None:
        self._rows = sorted(rows, key=lambda row: row["entry_id"])
        self._key = key

    def passed_over(
        self, previous: str, last_entry: int | None, before: int | None, erased: int
    ) -> tuple[str, int | None, int]:
        """The chain's hash, last entry and count of erased entries after passing over the erased entries that
        follow `last_entry` (up to `before`) and link on from `previous`, each under a valid mark."""
        for row in self._rows:
            if (last_entry is not None and row["entry_id"] <= last_entry) or (
                before is not None and row["entry_id"] >= before
            ):
                continue
            mark = erasure_mark(self._key, row["entry_id"], row["previous_hash"], row["entry_hash"], row["reason"])
            if row["previous_hash"] != previous or not hmac.compare_digest(mark, row["mark"]):
                break  # the chain is checked on from here as if nothing was erased: it breaks where it should
            previous, last_entry, erased = row["entry_hash"], row["entry_id"], erased + 1
        return previous, last_entry, erased


async def erase_entries(con: asyncpg.Connection, branch: Tenant, key: bytes, reason: str) -> int:
    """Delete the branch's entries, each recorded as erased under a mark of `key` (the access log's key); inside
    the caller's transaction, as the table's owner (the append-only trigger is lifted for this transaction only).
    How many went."""
    rows = await con.fetch(
        "SELECT entry_id, previous_hash, entry_hash FROM access_log WHERE tenant = $1 ORDER BY entry_id", branch.value
    )
    if not rows:
        return 0
    await con.executemany(
        "INSERT INTO access_log_erased (entry_id, previous_hash, entry_hash, reason, mark) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (entry_id) DO NOTHING",
        [
            (r["entry_id"], r["previous_hash"], r["entry_hash"], reason)
            + (erasure_mark(key, r["entry_id"], r["previous_hash"], r["entry_hash"], reason),)
            for r in rows
        ],
    )
    await con.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
    status = await con.execute("DELETE FROM access_log WHERE tenant = $1", branch.value)
    await con.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change")
    return int(status.split()[-1])
