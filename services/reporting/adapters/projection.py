"""The reporting projection: read-model rows written by idempotent effects, and the queries that read them."""

from __future__ import annotations

from importlib import resources

import asyncpg

from services.reporting.domain.figures import mentee_figures
from shared.consuming.idempotent import IdempotentConsumer
from shared.events.catalog import MenteeApplicationRejected, MenteeRegistered
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant

CONSUMER_NAME = "reporting"


def reporting_tables_ddl() -> str:
    """DDL of the projection's tables."""
    return resources.files("services.reporting.adapters").joinpath("schema.sql").read_text()


async def on_mentee_registered(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """One row per registered mentee."""
    event = envelope.payload()
    assert isinstance(event, MenteeRegistered)
    await con.execute(
        "INSERT INTO registered_mentees (mentee_id, tenant, office, registered_at) VALUES ($1, $2, $3, $4)",
        event.mentee_id,
        envelope.tenant.value,
        envelope.office,
        envelope.occurred_at,
    )


async def on_application_refused(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """One row per refused application: applications = registrations + refusals."""
    event = envelope.payload()
    assert isinstance(event, MenteeApplicationRejected)
    await con.execute(
        "INSERT INTO refused_applications (application_id, tenant, office, failed_rules, decided_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        event.application_id,
        envelope.tenant.value,
        envelope.office,
        list(event.failed_rules),
        envelope.occurred_at,
    )


def build_consumer(pool: asyncpg.Pool, name: str = CONSUMER_NAME) -> IdempotentConsumer:
    """The reporting consumer with an effect per event type it counts."""
    return IdempotentConsumer(
        pool,
        name,
        {
            MenteeRegistered.event_type: on_mentee_registered,
            MenteeApplicationRejected.event_type: on_application_refused,
        },
    )


async def mentee_counts(con: asyncpg.Connection, branch: Tenant | None) -> dict:
    """Registered mentees and applications (registered + refused) of one branch, by office; with no branch,
    the roll-up across branches (by branch only)."""
    only = branch.value if branch else None
    rows = await con.fetch(
        "SELECT tenant, office, count(*) AS n FROM registered_mentees WHERE $1::text IS NULL OR tenant = $1 "
        "GROUP BY tenant, office ORDER BY tenant, office",
        only,
    )
    refused = await con.fetchval(
        "SELECT count(*) FROM refused_applications WHERE $1::text IS NULL OR tenant = $1", only
    )
    figures = mentee_figures(((row["tenant"], row["office"], row["n"]) for row in rows), refused)
    if branch is None:
        del figures["by_office"]  # the roll-up is of branches: office detail stays with each branch
    return figures
