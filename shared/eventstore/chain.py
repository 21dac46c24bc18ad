"""Tamper evidence: a keyed hash chain over a store's events, in the order they were committed and published.

The outbox relay seals each event into the chain just before publishing it (`seal`), and
the chain's head at that event travels with it to Kafka (CloudEvents attribute
`chainhash`): the topic anchors the chain outside the store. Each link is an HMAC-SHA256
with the service's chain key (shared/eventstore/chain_key.py), so that whoever can write
the store but does not hold the key cannot recompute the chain after an edit. `verify`
recomputes the chain from the stored events: an event edited, or deleted with or without
its chain row, breaks it at that event. The relay is the one writer of the chain (it
publishes in the order events became visible), so appends stay concurrent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.events.envelope import EventEnvelope
from shared.eventstore.chain_erasure import mark_holds
from shared.eventstore.postgres import FACT_COLUMNS, row_to_envelope

GENESIS = "0" * 64
_CHAINED = """
SELECT c.chain_seq, c.global_position AS chained_position, c.event_id AS chained_event_id, c.chain_hash,
       e.global_position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.tenant,
       e.office, e.occurred_at, e.recorded_at, e.actor, e.correlation_id, e.causation_id, e.data,
       x.reason AS erased_because, x.mark AS erasure_mark
FROM event_chain c LEFT JOIN events e ON e.global_position = c.global_position
LEFT JOIN erased_events x ON x.chain_seq = c.chain_seq
ORDER BY c.chain_seq
"""


# The batch's events already chained (a batch sent again), and the chain's head, in one round trip (issue 24).
_CHAINED_AND_HEAD = """
SELECT false AS head, chain_seq, global_position, chain_hash FROM event_chain WHERE global_position = ANY($1::bigint[])
UNION ALL
(SELECT true, chain_seq, global_position, chain_hash FROM event_chain ORDER BY chain_seq DESC LIMIT 1)
"""


def link(key: bytes, previous_hash: str, envelope: EventEnvelope) -> str:
    """The chain's hash at an event: an HMAC of its whole content and the hash before it."""
    content = {
        "event_id": str(envelope.event_id),
        "stream_id": envelope.stream_id,
        "stream_version": envelope.stream_version,
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "tenant": envelope.tenant.value,
        "office": envelope.office,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "actor": envelope.actor,
        "correlation_id": str(envelope.correlation_id),
        "causation_id": str(envelope.causation_id) if envelope.causation_id else None,
        "data": envelope.data,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, (previous_hash + canonical).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """What sealing a batch needs to know of the chain: the batch's events already chained (a batch sent again), by
    global position, and the chain's last link (0 and GENESIS: none yet)."""

    chained: dict[int, str]
    seq: int = 0
    hash: str = GENESIS


async def chain_head(con: asyncpg.Connection, positions: Sequence[int]) -> ChainHead:
    """The chain as `seal` finds it for the events at `positions`, in one round trip (issue 24)."""
    rows = await con.fetch(_CHAINED_AND_HEAD, positions)
    head = next((row for row in rows if row["head"]), None)
    chained = {row["global_position"]: row["chain_hash"] for row in rows if not row["head"]}
    return ChainHead(chained, head["chain_seq"], head["chain_hash"]) if head else ChainHead(chained)


async def seal(
    con: asyncpg.Connection, envelopes: Sequence[EventEnvelope], key: bytes, head: ChainHead | None = None
) -> dict[int, str]:
    """The chain hash of each envelope (by global position), adding the ones not yet chained, in the given order.

    `head`: the chain as read with the batch (the relay reads it in the statement that reads the batch); else read
    here. One sealer extends a store's chain: the relay that leads it, holding the leader lock on `con`
    (shared/outbox/relay.py); so the head read and the links inserted need no lock nor transaction of their own (a
    single statement inserts all of the batch's links or none): three round trips a batch fewer (issue 24)."""
    if head is None:
        head = await chain_head(con, [e.global_position or 0 for e in envelopes])
    hashes = dict(head.chained)
    seq, previous = head.seq, head.hash
    new = []
    for envelope in envelopes:
        assert envelope.global_position is not None
        if envelope.global_position in hashes:
            continue
        seq, previous = seq + 1, link(key, previous, envelope)
        hashes[envelope.global_position] = previous
        new.append((seq, envelope.global_position, envelope.event_id, previous))
    if new:
        # One statement for the batch, not one per event (issue 24).
        await con.execute(
            "INSERT INTO event_chain (chain_seq, global_position, event_id, chain_hash) "
            "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[])",
            *(list(column) for column in zip(*new, strict=True)),
        )
    return hashes


@dataclass(frozen=True)
class ChainVerification:
    """How many events the chain vouches for, and the first one that breaks it, with why."""

    verified: int
    broken_at: str | None = None  # "chain position 7 (event ..., stream ... version ...)"
    reason: str | None = None
    head: str = GENESIS  # the chain's hash at its last event, when intact: what the topic must agree with
    # Positions erased on purpose, each with a valid mark (shared/eventstore/chain_erasure.py): by reason.
    erased: dict[str, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def __str__(self) -> str:
        erased = "".join(f"; {n} erased on purpose: {reason}" for reason, n in sorted(self.erased.items()))
        if self.intact:
            return f"verified {self.verified} events{erased}"
        return f"chain broken at {self.broken_at}: {self.reason} ({self.verified} events verified before it)"


async def verify(con: asyncpg.Connection, key: bytes) -> ChainVerification:
    """Recompute the chain from the stored events, in chain order; then look for events left out of it."""
    previous, verified, last_event, seen = GENESIS, 0, None, 0
    erased: dict[str, int] = {}
    async with con.transaction(isolation="repeatable_read", readonly=True):
        async for row in con.cursor(_CHAINED):
            if row["chain_seq"] != seen + 1:
                # The event was deleted with its chain row: the chain names the gap, the topic the event.
                after = f"after event {last_event}" if last_event else "at the start of the chain"
                where = f"chain position {seen + 1} ({after}, before event {row['chained_event_id']})"
                return ChainVerification(verified, where, "an event was deleted from the store with its chain row")
            seen += 1
            where = f"chain position {row['chain_seq']} (event {row['chained_event_id']})"
            if row["event_id"] is None and _erased_on_purpose(key, row):
                # Its hash was sealed when it was published; the mark, keyed, vouches that it was erased on purpose.
                previous, last_event = row["chain_hash"], row["chained_event_id"]
                erased[row["erased_because"]] = erased.get(row["erased_because"], 0) + 1
                continue
            if row["event_id"] is None:
                return ChainVerification(verified, where, "the event is missing from the store (deleted)")
            envelope = row_to_envelope(_event_columns(row))
            where = (
                f"chain position {row['chain_seq']} (event {envelope.event_id}, stream {envelope.stream_id} "
                f"version {envelope.stream_version})"
            )
            if envelope.event_id != row["chained_event_id"]:
                return ChainVerification(verified, where, "another event stands at this event's position")
            expected = link(key, previous, envelope)
            if not hmac.compare_digest(expected, row["chain_hash"]):
                return ChainVerification(
                    verified, where, "the stored event or its chain hash differs from the one that was sealed"
                )
            previous, verified, last_event = expected, verified + 1, envelope.event_id
        unchained = await con.fetchval(
            "SELECT min(e.global_position) FROM events e LEFT JOIN event_chain c USING (global_position) "
            "LEFT JOIN outbox o USING (global_position) WHERE c.global_position IS NULL AND o.global_position IS NULL"
        )
    if unchained is not None:
        return ChainVerification(
            verified,
            f"global position {unchained}",
            "an event that is neither chained nor waiting to be published (inserted by hand)",
        )
    return ChainVerification(verified, head=previous, erased=erased)


def _erased_on_purpose(key: bytes, row: asyncpg.Record) -> bool:
    if row["erasure_mark"] is None:
        return False
    return mark_holds(
        key, row["chain_seq"], row["chained_event_id"], row["chain_hash"], row["erased_because"], row["erasure_mark"]
    )


def _event_columns(row: asyncpg.Record) -> dict[str, Any]:
    names = ("global_position", *FACT_COLUMNS)
    return {name: row[name] for name in names}
