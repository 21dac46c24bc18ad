"""The reporting projection: read-model rows written by idempotent effects."""

from __future__ import annotations

import asyncpg

from shared.consuming.idempotent import IdempotentConsumer
from shared.events.envelope import EventEnvelope

CONSUMER_NAME = "reporting"

READ_MODEL_DDL = """
CREATE TABLE IF NOT EXISTS registered_mentees (
    mentee_id     UUID PRIMARY KEY,
    tenant        TEXT NOT NULL,
    office        TEXT NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS refused_applications (
    application_id UUID PRIMARY KEY,
    tenant         TEXT NOT NULL,
    office         TEXT NOT NULL,
    failed_rules   TEXT[] NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL
);
"""


async def on_mentee_registered(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """One row per registered mentee."""
    event = envelope.payload()
    await con.execute(
        "INSERT INTO registered_mentees (mentee_id, tenant, office, registered_at) VALUES ($1, $2, $3, $4)",
        event.mentee_id, envelope.tenant.value, envelope.office, envelope.occurred_at,
    )


async def on_application_refused(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """One row per refused application: applications = registrations + refusals."""
    event = envelope.payload()
    await con.execute(
        "INSERT INTO refused_applications (application_id, tenant, office, failed_rules, decided_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        event.application_id, envelope.tenant.value, envelope.office, list(event.failed_rules), envelope.occurred_at,
    )


def build_consumer(pool: asyncpg.Pool, name: str = CONSUMER_NAME) -> IdempotentConsumer:
    """The reporting consumer with an effect per event type it counts."""
    return IdempotentConsumer(pool, name, {
        "MenteeRegistered": on_mentee_registered,
        "MenteeApplicationRejected": on_application_refused,
    })


async def mentee_counts(con: asyncpg.Connection) -> dict:
    """Registered mentees in total and by country branch and office, and applications (registered + refused)."""
    rows = await con.fetch(
        "SELECT tenant, office, count(*) AS n FROM registered_mentees GROUP BY tenant, office ORDER BY tenant, office"
    )
    by_office = {row["office"]: row["n"] for row in rows}
    by_tenant: dict[str, int] = {}
    for row in rows:
        by_tenant[row["tenant"]] = by_tenant.get(row["tenant"], 0) + row["n"]
    refused = await con.fetchval("SELECT count(*) FROM refused_applications")
    total = sum(by_office.values())
    return {"total": total, "by_tenant": by_tenant, "by_office": by_office,
            "applications": total + refused, "refused_applications": refused}
