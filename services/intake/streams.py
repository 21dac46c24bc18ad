"""Reading a stream on the connection of the transaction that will append to it."""

from __future__ import annotations

import asyncpg

from shared.events.envelope import EventEnvelope
from shared.eventstore.postgres import row_to_envelope
from shared.tenancy import Tenant

_READ_STREAM = """
SELECT global_position, stream_id, stream_version, event_id, event_type, schema_version, tenant, office,
       occurred_at, recorded_at, actor, correlation_id, causation_id, data
FROM events WHERE stream_id = $1 AND tenant = $2 ORDER BY stream_version
"""


async def read_stream_in(con: asyncpg.Connection, stream_id: str, tenant: Tenant) -> list[EventEnvelope]:
    """A stream's events in version order, read on `con`; empty if the stream belongs to another branch.

    Filtering in the query, not after it, means another branch's person is "not found"
    by construction: nothing of theirs is ever loaded into a request of this branch.

    Reading on the transaction's own connection (not another pooled one) means a burst
    of requests can never exhaust the pool while each holds a connection and waits for a second.
    """
    return [row_to_envelope(row) for row in await con.fetch(_READ_STREAM, stream_id, tenant.value)]
