"""The personal-data table: the one place intake keeps names, contact details and birth dates (docs/adr/0006)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

import asyncpg

from services.intake.commands import RegisterMentee, RegisterMentor
from services.intake.emails import normalize_email
from services.intake.errors import DuplicatePerson
from shared.tenancy import Tenant


def mentee_personal_data(cmd: RegisterMentee) -> dict[str, Any]:
    """What intake keeps about a mentee and publishes nowhere."""
    return {
        **asdict(cmd.personal), "birth_date": cmd.personal.birth_date.isoformat(), **asdict(cmd.background),
        "job_target_occupation": cmd.job_target_occupation,
    }


def mentor_personal_data(cmd: RegisterMentor) -> dict[str, Any]:
    """What intake keeps about a mentor and publishes nowhere."""
    return {**asdict(cmd.personal), "birth_date": cmd.personal.birth_date.isoformat()}


async def find_by_email(con: asyncpg.Connection, tenant: Tenant, email: str) -> tuple[uuid.UUID, str, str | None] | None:
    """Id, kind and status of whoever registered this e-mail in the branch, if anyone."""
    row = await con.fetchrow(
        "SELECT d.person_id, d.kind, p.status FROM personal_data d LEFT JOIN people p USING (person_id) "
        "WHERE d.tenant = $1 AND d.email_normalized = $2",
        tenant.value, normalize_email(email),
    )
    return (row["person_id"], row["kind"], row["status"]) if row else None


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
        raise DuplicatePerson(*await find_by_email(con, tenant, data["email"]))


async def read_personal_data(con: asyncpg.Connection, person_id: uuid.UUID, tenant: Tenant) -> dict[str, Any]:
    """A person's personal data, if the person is the branch's; empty once erased."""
    return await con.fetchval(
        "SELECT data FROM personal_data WHERE person_id = $1 AND tenant = $2", person_id, tenant.value) or {}


async def update_personal_data(
    con: asyncpg.Connection, person_id: uuid.UUID, tenant: Tenant, changes: dict[str, Any]
) -> None:
    """Overwrite some keys of the data of one of the branch's people."""
    await con.execute(
        "UPDATE personal_data SET data = data || $3, updated_at = now() WHERE person_id = $1 AND tenant = $2",
        person_id, tenant.value, changes,
    )
