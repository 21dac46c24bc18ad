"""The personal-data table: the one place intake keeps names, contact details and birth dates (docs/adr/0006)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

import asyncpg

from services.intake.commands import RegisterMentee, RegisterMentor
from services.intake.errors import DuplicatePerson
from shared.tenancy import Tenant


def normalize_email(email: str) -> str:
    """The form duplicates are detected on: trimmed, lower case."""
    return email.strip().lower()


def mentee_personal_data(cmd: RegisterMentee) -> dict[str, Any]:
    """What intake keeps about a mentee and publishes nowhere."""
    return {
        **asdict(cmd.personal), "birth_date": cmd.personal.birth_date.isoformat(), **asdict(cmd.background),
        "job_target_occupation": cmd.job_target_occupation,
    }


def mentor_personal_data(cmd: RegisterMentor) -> dict[str, Any]:
    """What intake keeps about a mentor and publishes nowhere."""
    return {**asdict(cmd.personal), "birth_date": cmd.personal.birth_date.isoformat()}


async def find_by_email(con: asyncpg.Connection, tenant: Tenant, email: str) -> uuid.UUID | None:
    """The id of whoever registered this e-mail in the branch, if anyone."""
    return await con.fetchval(
        "SELECT person_id FROM personal_data WHERE tenant = $1 AND email_normalized = $2",
        tenant.value, normalize_email(email),
    )


async def store_personal_data(
    con: asyncpg.Connection, person_id: uuid.UUID, kind: str, tenant: Tenant, data: dict[str, Any]
) -> None:
    """Keep a new person's data; raises DuplicatePerson if a concurrent registration took the e-mail first."""
    # ON CONFLICT waits for a concurrent insert of the same e-mail to commit or roll back,
    # so exactly one of two racing registrations wins, without aborting our transaction.
    inserted = await con.fetchval(
        "INSERT INTO personal_data (person_id, kind, tenant, email_normalized, data) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (tenant, email_normalized) DO NOTHING RETURNING true",
        person_id, kind, tenant.value, normalize_email(data["email"]), data,
    )
    if not inserted:
        raise DuplicatePerson(await find_by_email(con, tenant, data["email"]))


async def read_personal_data(con: asyncpg.Connection, person_id: uuid.UUID) -> dict[str, Any]:
    """A person's personal data; empty once erased."""
    return await con.fetchval("SELECT data FROM personal_data WHERE person_id = $1", person_id) or {}


async def update_personal_data(con: asyncpg.Connection, person_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Overwrite some keys of a person's data."""
    await con.execute(
        "UPDATE personal_data SET data = data || $2, updated_at = now() WHERE person_id = $1", person_id, changes,
    )
