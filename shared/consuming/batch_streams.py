"""The streams of one OrderedConsumer batch (shared/consuming/ordered.py), locked and positioned at once.

Event by event, each event's stream is locked (SELECT ... FOR UPDATE) and its position written (UPDATE) with a
statement each; a batch of a hundred events then spends two hundred statements on bookkeeping. Here a batch
locks every stream it holds with one statement (one more, an insert, for streams it is the first to see; a third
only if another delivery made one of those meanwhile), learns which of them
have held events with one, keeps the positions in memory while its events are applied, and writes the positions
that moved with one (issue 24, docs/performance.md section 7). The rows stay locked until the batch's transaction
ends, so nothing else moves these positions or holds events of these streams meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

# Locked in the streams' order: two batches sharing streams wait for each other instead of deadlocking.
_LOCK_ALL = (
    "SELECT stream_id, version FROM stream_positions WHERE consumer = $1 AND stream_id = ANY($2::text[]) "
    "ORDER BY stream_id FOR UPDATE"
)

# The positions a batch moved. The rows are also named by `stream_id = ANY(...)`: with the join on unnest() alone, the
# prepared statement's generic plan (which cannot see the array's length) read every row of the consumer's table, a
# hash join over a sequential scan, per batch, at any size (tracking's in the full plan: 377 scans, 1.06 million rows;
# issue 24); with the rows named, the primary key is read once the table has a thousand rows or so.
SAVE_POSITIONS = (
    "UPDATE stream_positions p SET version = m.version FROM unnest($2::text[], $3::int[]) AS m(stream_id, version) "
    "WHERE p.consumer = $1 AND p.stream_id = ANY($2::text[]) AND p.stream_id = m.stream_id"
)


@dataclass
class BatchStreams:
    """Each stream's last applied version (locked), the streams that may have held events, and those moved."""

    last: dict[str, int]
    held: set[str]
    moved: set[str] = field(default_factory=set)

    def applied(self, stream_id: str, version: int) -> None:
        self.last[stream_id] = version
        self.moved.add(stream_id)


async def lock_streams(con: asyncpg.Connection, consumer: str, stream_ids: set[str]) -> BatchStreams:
    """Lock the rows of `stream_ids` (made at version 0 for streams seen for the first time) in the caller's
    transaction; their versions, and which have held events."""
    ids = sorted(stream_ids)
    last = {row["stream_id"]: row["version"] for row in await con.fetch(_LOCK_ALL, consumer, ids)}
    new = [stream_id for stream_id in ids if stream_id not in last]
    if new:
        # A concurrent first delivery's insert waits for ours and then does nothing, or ours for its. The rows this
        # insert made are this transaction's until it ends (nobody else can lock them) and come back at version 0;
        # only the streams another delivery made first are locked with a second read. Every batch of new streams (a
        # registration's, at 200 a second) read them all again before (0.7 to 0.9 ms a batch at 1,000,000 facts).
        made = await con.fetch(
            "INSERT INTO stream_positions (consumer, stream_id, version) SELECT $1, unnest($2::text[]), 0 "
            "ON CONFLICT DO NOTHING RETURNING stream_id, version",
            consumer,
            new,
        )
        last.update({row["stream_id"]: row["version"] for row in made})
        raced = [stream_id for stream_id in new if stream_id not in last]
        if raced:
            last.update({row["stream_id"]: row["version"] for row in await con.fetch(_LOCK_ALL, consumer, raced)})
    # Asked once the rows are locked, in a statement of its own (a snapshot taken after the locks): whoever held an
    # event of these streams has committed by now, and nobody else can hold one until this transaction ends.
    held = await con.fetch(
        "SELECT DISTINCT stream_id FROM held_events WHERE consumer = $1 AND stream_id = ANY($2::text[])",
        consumer,
        ids,
    )
    return BatchStreams(last, {row["stream_id"] for row in held})


async def save_positions(con: asyncpg.Connection, consumer: str, streams: BatchStreams) -> None:
    """Write the positions the batch moved, with one statement."""
    if not streams.moved:
        return
    moved = sorted(streams.moved)
    await con.execute(
        SAVE_POSITIONS,
        consumer,
        moved,
        [streams.last[stream_id] for stream_id in moved],
    )
