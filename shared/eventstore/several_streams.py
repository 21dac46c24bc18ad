"""Appends to several streams in one statement (EventStore.append_streams_in on PostgreSQL).

A batch command (tracking's month of a branch's duos, ADR 0035) appended each duo's events in a statement of its own,
each with its own version check: 20 to 40 round trips a request, most of tracking's statements in the demo (issue 24).
Here every stream's version check, every event and its outbox row go in one statement; a conflict inserts nothing
(the version check fails first) or, when it is a race or an event id already stored, fewer events than asked, which
the caller undoes (a savepoint, or the whole transaction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.events.envelope import EventEnvelope
from shared.eventstore.base import DuplicateEventId, StreamAppend, WrongExpectedVersion


def statement(columns_written: str, channel: str, notify: bool) -> str:
    """The store's append statement for several streams (`columns_written`: the events' columns it fills; `notify`:
    one NOTIFY on `channel`, delivered at commit, as the store's own append does).

    $1 and $2: each stream and the version its first part expects; $3 the recorded time; $4 to $15 one array per
    column, one element per event, in the parts' order (so a stream's events take ascending global positions, as
    the relay publishes them: ORDER BY the arrays' order)."""
    notified = f"(SELECT count(*) FROM (SELECT pg_notify('{channel}', '') FROM appended LIMIT 1) AS n)"
    return f"""
WITH current AS (
    SELECT s.n, s.stream_id, s.expected,
           (SELECT coalesce(max(e.stream_version), 0) FROM events e WHERE e.stream_id = s.stream_id) AS version
    FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS s(stream_id, expected, n)
), appended AS (
    INSERT INTO events ({columns_written})
    SELECT e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.tenant, e.office,
           e.occurred_at, $3, e.actor, e.correlation_id, e.causation_id, e.data::jsonb
    FROM unnest($4::text[], $5::int[], $6::uuid[], $7::text[], $8::int[], $9::text[], $10::text[],
                $11::timestamptz[], $12::text[], $13::uuid[], $14::uuid[], $15::text[])
         WITH ORDINALITY AS e(stream_id, stream_version, event_id, event_type, schema_version, tenant, office,
                              occurred_at, actor, correlation_id, causation_id, data, n)
    WHERE NOT EXISTS (SELECT 1 FROM current WHERE version <> expected)
    ORDER BY e.n
    ON CONFLICT DO NOTHING
    RETURNING global_position, event_id
), outboxed AS (
    INSERT INTO outbox (global_position) SELECT global_position FROM appended
)
SELECT (SELECT array_agg(stream_id ORDER BY n) FROM current WHERE version <> expected) AS stale,
       (SELECT array_agg(version ORDER BY n) FROM current WHERE version <> expected) AS actual,
       (SELECT array_agg(event_id) FROM appended) AS event_ids,
       (SELECT array_agg(global_position) FROM appended) AS positions,
       {notified if notify else 0} AS notified
"""


def envelopes_of(appends: Sequence[StreamAppend], recorded_at: datetime) -> list[list[EventEnvelope]]:
    """Each part's events stamped with their stream versions; WrongExpectedVersion when a stream's part does not
    follow its part before (a decision on a stale state of the caller's own)."""
    following: dict[str, int] = {}
    parts = []
    for part in appends:
        after = following.get(part.stream_id, part.expected_version)
        if after != part.expected_version:
            raise WrongExpectedVersion(part.stream_id, part.expected_version, after)
        parts.append(
            [
                EventEnvelope.record(new, part.stream_id, part.expected_version + offset, recorded_at)
                for offset, new in enumerate(part.events, start=1)
            ]
        )
        following[part.stream_id] = part.expected_version + len(part.events)
    return parts


def arguments(appends: Sequence[StreamAppend], parts: list[list[EventEnvelope]], recorded_at: datetime) -> list[Any]:
    """The statement's parameters: each stream once with its first part's expected version, then the events."""
    firsts: dict[str, int] = {}
    for part in appends:
        firsts.setdefault(part.stream_id, part.expected_version)
    events = [e for part in parts for e in part]
    return [
        list(firsts),
        list(firsts.values()),
        recorded_at,
        [e.stream_id for e in events],
        [e.stream_version for e in events],
        *event_columns(events),
    ]


def event_columns(envelopes: Sequence[EventEnvelope]) -> list[list[Any]]:
    """An append's arrays of what each event brings (the store's append of several events to one stream passes the
    same): its id, type, schema version, branch, office, time, actor, correlation, causation and data (JSON)."""
    return [
        [e.event_id for e in envelopes],
        [e.event_type for e in envelopes],
        [e.schema_version for e in envelopes],
        [e.tenant.value for e in envelopes],
        [e.office for e in envelopes],
        [e.occurred_at for e in envelopes],
        [e.actor for e in envelopes],
        [e.correlation_id for e in envelopes],
        [e.causation_id for e in envelopes],
        [json.dumps(e.data) for e in envelopes],
    ]


def complete(row: asyncpg.Record | None, parts: list[list[EventEnvelope]]) -> bool:
    """Whether every event went in (and every stream was at its expected version, even a part with no events)."""
    return row is not None and not row["stale"] and len(row["positions"] or ()) == sum(len(part) for part in parts)


def positioned(row: asyncpg.Record, parts: list[list[EventEnvelope]]) -> list[list[EventEnvelope]]:
    """Each event with the global position it got."""
    position = dict(zip(row["event_ids"] or (), row["positions"] or (), strict=True))
    return [[e.model_copy(update={"global_position": position[e.event_id]}) for e in part] for part in parts]


async def raise_conflict(
    con: asyncpg.Connection, appends: Sequence[StreamAppend], parts: list[list[EventEnvelope]], row: asyncpg.Record
) -> None:
    """Why fewer events went in than asked: a stream's stale expected version (the first part's concerned), an event
    id already stored by someone else, or a lost race for a stream version."""
    if row["stale"]:
        actual = dict(zip(row["stale"], row["actual"], strict=True))
        first = next(part for part in appends if part.stream_id in actual)
        raise WrongExpectedVersion(first.stream_id, first.expected_version, actual[first.stream_id])
    inserted = set(row["event_ids"] or ())
    stored = await con.fetch(
        "SELECT event_id FROM events WHERE event_id = ANY($1::uuid[]) AND global_position <> ALL($2::bigint[])",
        [e.event_id for part in parts for e in part],
        list(row["positions"] or ()),
    )
    duplicates = {r["event_id"] for r in stored}
    for part, events in zip(appends, parts, strict=True):
        if any(e.event_id in duplicates for e in events):
            raise DuplicateEventId(part.stream_id)
    # A concurrent writer committed one of the streams' versions first.
    lost = next(
        part for part, events in zip(appends, parts, strict=True) if any(e.event_id not in inserted for e in events)
    )
    raise WrongExpectedVersion(lost.stream_id, lost.expected_version, None)
