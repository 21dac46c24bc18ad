"""Intake's sealed personal data moved with its people: each data key wrapped again by the new region's master key.

The sealed values move as they are (sealed by the person's own data key, bound to their id); the data key is
unwrapped by the old region's master key and wrapped by the new one's, and the e-mail's blind index is made again
under the new key (docs/adr/0020). The old region's keys are destroyed by the erasure (erase.py), which shreds
every copy of the values left there. A row still in clear (written before sealing) is refused: the old region's
intake seals it at its next start.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from services.intake.adapters.master_key import intake_master_keys
from services.intake.adapters.vault import email_index, open_data, unwrap_key
from shared.shredding import MasterKeyRing
from shared.tenancy import Tenant


class VaultRefused(RuntimeError):
    """A person's data cannot move as it is."""


def region_master_keys(home: Path) -> MasterKeyRing:
    """A region's intake master keys as its intake finds them: INTAKE_VAULT_MASTER_KEY if set, else the key file of
    its data folder (the embedded stack's)."""
    return intake_master_keys({**os.environ, "DUO_HOME": str(home.resolve())})


async def copy_people(
    source: asyncpg.Connection,
    target: asyncpg.Connection,
    branch: Tenant,
    old_keys: MasterKeyRing,
    new_keys: MasterKeyRing,
) -> int:
    """Every person of the branch into `target` (in its transaction), re-keyed; how many were new there."""
    rows = await source.fetch(
        "SELECT d.person_id, d.kind, d.tenant, d.sealed, d.recorded_at, d.updated_at, k.wrapped_key, k.master_key_id "
        "FROM personal_data d LEFT JOIN data_keys k USING (person_id) WHERE d.tenant = $1 ORDER BY d.person_id",
        branch.value,
    )
    new, added = new_keys.current, 0
    for row in rows:
        if row["sealed"] is None or row["wrapped_key"] is None:
            raise VaultRefused(
                f"person {row['person_id']}: personal data in clear (start the old region's intake to seal it first)"
            )
        key = unwrap_key(old_keys, row)
        email = open_data(key, row["person_id"], row["sealed"])["email"]
        inserted = await target.fetchval(
            "INSERT INTO personal_data (person_id, kind, tenant, email_index, sealed, recorded_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
            row["person_id"],
            row["kind"],
            row["tenant"],
            email_index(new, branch, email),
            row["sealed"],
            row["recorded_at"],
            row["updated_at"],
        )
        if not inserted and not await target.fetchval(
            "SELECT true FROM personal_data WHERE person_id = $1", row["person_id"]
        ):
            raise VaultRefused(f"person {row['person_id']}: the new region has another person with their e-mail")
        if inserted:
            await target.execute(
                "INSERT INTO data_keys (person_id, wrapped_key, master_key_id) VALUES ($1, $2, $3)",
                row["person_id"],
                new.wrap(key, row["person_id"].bytes),
                new.key_id,
            )
            added += 1
    return added
