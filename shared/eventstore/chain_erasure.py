"""Events erased from a store on purpose, and the chain still verifiable over the places they held.

The hash chain is what shows that nothing was deleted (shared/eventstore/chain.py); yet some deletions are the
point, as when a branch moves to a region of its own and its events must leave the old region (docs/adr/0031).
Such an erasure keeps the erased events' chain rows (their positions, event ids and hashes, which name no one and
still match the copies on the topic) and records each erased position in `erased_events` with why, under a mark:
an HMAC by the service's chain key over the position, the event id, the chain hash there and the reason. Verifying
passes over a position so marked, continuing from its recorded hash; a position deleted without a valid mark (no
key, or a mark moved or edited) still breaks the chain. So the chain says how many events were erased and why,
and can no more be cut silently than before.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import asyncpg


def erasure_mark(key: bytes, chain_seq: int, event_id: uuid.UUID, chain_hash: str, reason: str) -> str:
    """The mark of an erased chain position: only the holder of the chain key can make it."""
    content = f"erased\x00{chain_seq}\x00{event_id}\x00{chain_hash}\x00{reason}"
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def mark_holds(key: bytes, chain_seq: int, event_id: uuid.UUID, chain_hash: str, reason: str, mark: str) -> bool:
    return hmac.compare_digest(erasure_mark(key, chain_seq, event_id, chain_hash, reason), mark)


async def erase_events(con: asyncpg.Connection, key: bytes, positions: list[int], reason: str) -> int:
    """Delete the events at these global positions, each recorded as erased at its chain position; call inside a
    transaction, as a role that may delete events (the owner: the runtime role may not). Every event must be
    chained (published): one still in the outbox is refused, as nothing vouches for it yet. How many were erased."""
    if not positions:
        return 0
    chained = await con.fetch(
        "SELECT chain_seq, event_id, chain_hash FROM event_chain WHERE global_position = ANY($1::bigint[])", positions
    )
    if len(chained) != len(set(positions)):
        raise ValueError(f"{len(set(positions)) - len(chained)} of the events are not chained yet (not published)")
    await con.executemany(
        "INSERT INTO erased_events (chain_seq, reason, mark) VALUES ($1, $2, $3) ON CONFLICT (chain_seq) DO NOTHING",
        [
            (r["chain_seq"], reason, erasure_mark(key, r["chain_seq"], r["event_id"], r["chain_hash"], reason))
            for r in chained
        ],
    )
    await con.execute("DELETE FROM outbox WHERE global_position = ANY($1::bigint[])", positions)
    status = await con.execute("DELETE FROM events WHERE global_position = ANY($1::bigint[])", positions)
    return int(status.split()[-1])
