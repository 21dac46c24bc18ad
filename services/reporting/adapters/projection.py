"""The reporting projection: the ledger of every consumed fact (written once per event id) and its reads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from importlib import resources

import asyncpg

from services.reporting.adapters.read_models import kept_with_typed_rows, recount
from services.reporting.adapters.verified_once import DIGEST_COLUMN, digest_key, keyed
from services.reporting.domain.figures import mentee_figures
from services.reporting.domain.programme import Programme, programme_of
from shared.consuming.ordered import BatchEffect, OrderedConsumer
from shared.consuming.parking import Effect
from shared.consuming.verified import verified_digest
from shared.events import EVENT_REGISTRY
from shared.events.envelope import EventEnvelope
from shared.eventstore.postgres import FACT_COLUMNS
from shared.tenancy import Tenant

CONSUMER_NAME = "reporting"
LEDGER = "ledger"
# The store's columns of a fact (its position there is the producer's, not the ledger's), the id first.
_COLUMNS = ("event_id", *(column for column in FACT_COLUMNS if column != "event_id"))


def reporting_tables_ddl() -> str:
    """DDL of the projection's tables: the ledger and its read models."""
    folder = resources.files("services.reporting.migrations")
    return "\n".join(
        folder.joinpath(name).read_text()
        for name in (
            "0001_ledger.sql",
            "0004_read_models.sql",
            "0006_counters.sql",
            "0007_definitions_per_branch.sql",
            "0008_listings.sql",
            "0009_books.sql",
            "0010_referrals.sql",
            "0011_mentor_employment.sql",
            "0012_target_groups.sql",
            "0016_list_counts.sql",
            "0018_listings_ended_in_order.sql",
            "0019_verified_digests.sql",
            "0020_counters_updated_in_place.sql",
        )
    )


LEDGER_COLUMNS = _COLUMNS


def ledger_row(envelope: EventEnvelope) -> tuple:
    """One fact as a ledger row (in LEDGER_COLUMNS order), once it validates against the catalog.

    Raises pydantic.ValidationError (or UnknownEventType) for a fact that does not: parked, never kept.
    """
    envelope.payload()
    return _row(envelope)


def _row(envelope: EventEnvelope) -> tuple:
    return (
        envelope.event_id,
        envelope.stream_id,
        envelope.stream_version,
        envelope.event_type,
        envelope.schema_version,
        envelope.tenant.value,
        envelope.office,
        envelope.occurred_at,
        envelope.recorded_at,
        envelope.actor,
        envelope.correlation_id,
        envelope.causation_id,
        envelope.data,
    )


def ledger_writer(table: str = LEDGER) -> Effect:
    """The effect that keeps one fact in `table` (the live ledger, or a rebuild's), and its read-model rows in the
    same transaction (read_models.py): a fact is in both or in neither."""
    keep_facts = _ledger_keeper(table)

    async def keep(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
        ledger_row(envelope)
        await keep_facts(con, [envelope])

    return keep


# Each ledger column's type, for a batch's rows as arrays; the data as JSON text, cast by the database (as the event
# store appends it): the JSONB the connection's codec writes (json.dumps), with the codec or without it.
_ARRAY_TYPES = {
    "event_id": "uuid",
    "stream_id": "text",
    "stream_version": "int4",
    "event_type": "text",
    "schema_version": "int4",
    "tenant": "text",
    "office": "text",
    "occurred_at": "timestamptz",
    "recorded_at": "timestamptz",
    "actor": "text",
    "correlation_id": "uuid",
    "causation_id": "uuid",
    "data": "text",
}


def _ledger_keeper(table: str) -> BatchEffect:
    """Many facts' ledger rows and typed rows in one statement (a copy of a kept fact adds nothing), then the
    counters and listings of what they touch, recomputed once per entity however many of them touch it (a duo's fifty
    meetings in a batch recount it once)."""
    arrays = ", ".join(f"${n}::{_ARRAY_TYPES[column]}[]" for n, column in enumerate(_COLUMNS, start=1))
    values = ", ".join("x.data::jsonb" if column == "data" else f"x.{column}" for column in _COLUMNS)
    insert = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}, {DIGEST_COLUMN}) SELECT {values}, x.{DIGEST_COLUMN} "
        f"FROM unnest({arrays}, ${len(_COLUMNS) + 1}::bytea[]) AS x({', '.join(_COLUMNS)}, {DIGEST_COLUMN}) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING *"
    )
    keep = kept_with_typed_rows(insert)
    data = _COLUMNS.index("data")
    key = digest_key()

    async def keep_facts(con: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        rows = [_row(envelope) for envelope in envelopes]
        columns = [[json.dumps(row[i]) if i == data else row[i] for row in rows] for i in range(len(_COLUMNS))]
        # With the digest of the message the subscriber verified each from, so a rebuild need not verify it again.
        digests = [verified_digest(envelope.event_id) for envelope in envelopes]
        await con.execute(keep, *columns, [keyed(key, d) if d is not None else None for d in digests])
        # A copy of a kept fact adds no row, and its recount changes nothing.
        await recount(con, [envelope.event_id for envelope in envelopes], table)

    return keep_facts


async def _validate(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """A fact's effect, before its batch's step keeps it: that it validates against the catalog (else it fails the
    batch, and alone it is parked, never kept)."""
    ledger_row(envelope)


def build_consumer(pool: asyncpg.Pool, name: str = CONSUMER_NAME, table: str = LEDGER) -> OrderedConsumer:
    """The reporting consumer: every event type of the catalog goes to the ledger, once, in stream order.

    Ordered rather than deduplicated by event id: its record is one row per stream (the last version kept),
    not one per event, so it does not grow with the log (the ledger's own key catches any copy anyway). A batch's
    typed rows are written, and its counters and listings recomputed once for every entity its facts touched,
    before it commits.
    """
    return OrderedConsumer(
        pool, name, dict.fromkeys(EVENT_REGISTRY.models(), _validate), per_batch=_ledger_keeper(table)
    )


async def ledger_envelopes(
    con: asyncpg.Connection, branch: Tenant | None = None, recorded_by: datetime | None = None, table: str = LEDGER
) -> list[EventEnvelope]:
    """The facts of one branch (all when None) recorded up to a moment (all when None)."""
    rows = await con.fetch(
        f"SELECT {', '.join(_COLUMNS)} FROM {table} WHERE ($1::text IS NULL OR tenant = $1) "
        "AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY recorded_at, stream_id, stream_version, event_id",
        branch.value if branch else None,
        recorded_by,
    )
    return [EventEnvelope(**dict(row)) for row in rows]


async def programme(
    con: asyncpg.Connection, branch: Tenant | None = None, recorded_by: datetime | None = None, table: str = LEDGER
) -> Programme:
    """The programme as the ledger describes it, for one branch or all, up to a moment."""
    return programme_of(await ledger_envelopes(con, branch, recorded_by, table), recorded_by)


async def mentee_counts(con: asyncpg.Connection, branch: Tenant | None) -> dict:
    """Registered mentees and applications (registered + refused) of one branch, by office; with no branch,
    the roll-up across branches (by branch only)."""
    p = await programme(con, branch)
    rows = [(place.tenant.value, place.office, 1) for place, _ in p.registrations.values()]
    figures = mentee_figures(rows, len(p.refusals))
    if branch is None:
        del figures["by_office"]  # the roll-up is of branches: office detail stays with each branch
    return figures


async def stream_history(con: asyncpg.Connection, branch: Tenant, subject: uuid.UUID) -> list[dict]:
    """Every fact about one mentee, mentor, duo or proposal, across services, oldest first, without personal data."""
    rows = await con.fetch(
        "SELECT event_id, event_type, stream_id, stream_version, office, occurred_at, recorded_at, actor, "
        "correlation_id, causation_id, data FROM ledger WHERE tenant = $1 AND (stream_id LIKE '%' || $2 "
        "OR EXISTS (SELECT 1 FROM jsonb_each_text(data) WHERE value = $2)) ORDER BY occurred_at, recorded_at",
        branch.value,
        str(subject),
    )
    return [dict(row) for row in rows]
