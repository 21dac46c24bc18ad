"""The personal-data vault on PostgreSQL: the one place intake keeps names, contact details and birth dates
(docs/adr/0006), each person's sealed with a data key of their own (docs/adr/0020). Bound to the connection of the
command's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.intake.domain.emails import normalize_email
from services.intake.domain.errors import DuplicatePerson
from shared.commanding.idempotency import forget_answers_about
from shared.shredding import DataKey, MasterKey, MasterKeyRing
from shared.tenancy import Tenant

EMAIL_INDEX = "intake e-mail"


class WrongMasterKey(RuntimeError):
    """A data key wrapped by a master key that intake was not started with."""


def email_index(master: MasterKey, tenant: Tenant, email: str) -> bytes:
    """The blind index of a branch's e-mail address: equal for equal normalised addresses, opaque otherwise."""
    return master.blind_index(EMAIL_INDEX, f"{tenant.value}\x00{normalize_email(email)}")


def _context(person_id: uuid.UUID) -> bytes:
    return b"personal data\x00" + person_id.bytes


def seal_data(key: DataKey, person_id: uuid.UUID, data: dict[str, Any]) -> bytes:
    """A person's data as stored: their JSON sealed with their key, bound to their id."""
    return key.seal(json.dumps(data, separators=(",", ":")).encode(), _context(person_id))


def unwrap_key(keys: MasterKeyRing, row: asyncpg.Record) -> DataKey:
    """The data key of a `data_keys` row, unwrapped by whichever of the ring's master keys wrapped it."""
    master = keys.by_id(row["master_key_id"])
    if master is None:
        raise WrongMasterKey(
            f"a data key was wrapped by master key {row['master_key_id']}, "
            f"intake runs with {', '.join(key.key_id for key in keys.keys)}"
        )
    return master.unwrap(row["wrapped_key"], row["person_id"].bytes)


def open_data(key: DataKey, person_id: uuid.UUID, sealed: bytes) -> dict[str, Any]:
    """The data `seal_data` sealed."""
    data: dict[str, Any] = json.loads(key.open(sealed, _context(person_id)))
    return data


def opened(keys: MasterKeyRing, row: asyncpg.Record) -> dict[str, Any]:
    """The data of a row joining `personal_data` and `data_keys`: sealed, or in clear if written before sealing."""
    if row["sealed"] is None:
        return dict(row["data"]) if row["data"] is not None else {}
    if row["wrapped_key"] is None:
        return {}  # the key is gone: erased (nothing else deletes a key)
    return open_data(unwrap_key(keys, row), row["person_id"], row["sealed"])


async def seal_row_in_clear(con: asyncpg.Connection, master: MasterKey, person_id: uuid.UUID) -> bool:
    """Seal one person's row if it is still in clear; call inside a transaction. Whether it was sealed."""
    row = await con.fetchrow(
        "SELECT tenant, data FROM personal_data WHERE person_id = $1 AND sealed IS NULL FOR UPDATE", person_id
    )
    if row is None:
        return False
    data: dict[str, Any] = dict(row["data"])
    key, wrapped = master.new_data_key(person_id.bytes)
    await con.execute(
        "UPDATE personal_data SET sealed = $2, email_index = $3, data = NULL, email_normalized = NULL "
        "WHERE person_id = $1",
        person_id,
        seal_data(key, person_id, data),
        email_index(master, Tenant(row["tenant"]), data["email"]),
    )
    await con.execute(
        "INSERT INTO data_keys (person_id, wrapped_key, master_key_id) VALUES ($1, $2, $3)",
        person_id,
        wrapped,
        master.key_id,
    )
    return True


_READ = """SELECT d.person_id, d.sealed, d.data, k.wrapped_key, k.master_key_id
           FROM personal_data d LEFT JOIN data_keys k USING (person_id)"""

# Whoever registered an e-mail address in a branch ($1 the branch, $2 its blind indexes, $3 the address in clear).
# Two lookups, each by its unique index, not one condition with OR: a prepared statement keeps the plan made when
# the table was small, and the OR's was a scan of the whole table, a cost that grew with every registration (0.5 ms
# and 88 blocks a registration after 2,000, 2.3 ms and 348 blocks after 6,000: issue 21's freshness).
_KNOWN_BY = """SELECT d.person_id, d.kind, p.status FROM personal_data d LEFT JOIN people p USING (person_id)
               WHERE d.tenant = $1 AND {}"""
_KNOWN = f"""{_KNOWN_BY.format("d.email_index = ANY($2::bytea[])")}
             UNION ALL {_KNOWN_BY.format("d.email_normalized = $3")}"""

# A new person's sealed data and data key, unless the address is known: in one statement (one round trip a
# registration instead of three, issue 24), which answers who registered the address when someone did. `kept` is
# false with nobody known when a concurrent registration of the address committed meanwhile (ON CONFLICT).
_STORE = f"""
WITH known AS ({_KNOWN} LIMIT 1),
kept AS (
    INSERT INTO personal_data (person_id, kind, tenant, email_index, sealed)
    SELECT $4, $5, $1, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM known)
    ON CONFLICT (tenant, email_index) DO NOTHING RETURNING person_id
),
keyed AS (INSERT INTO data_keys (person_id, wrapped_key, master_key_id) SELECT person_id, $8, $9 FROM kept)
SELECT EXISTS (SELECT 1 FROM kept) AS kept, known.* FROM (SELECT 1) AS one LEFT JOIN known ON true
"""


@dataclass(frozen=True)
class PostgresVault:
    """The `personal_data` table and the people's `data_keys`, read and written on one connection."""

    con: asyncpg.Connection
    keys: MasterKeyRing

    async def find_by_email(self, tenant: Tenant, email: str) -> tuple[uuid.UUID, str, str | None] | None:
        row = await self.con.fetchrow(f"{_KNOWN} LIMIT 1", *self._known_arguments(tenant, email))
        return (row["person_id"], row["kind"], row["status"]) if row else None

    async def store(self, person_id: uuid.UUID, kind: str, tenant: Tenant, data: dict[str, Any]) -> None:
        master = self.keys.current
        key, wrapped = master.new_data_key(person_id.bytes)
        # ON CONFLICT waits for a concurrent insert of the same e-mail to commit or roll back,
        # so exactly one of two racing registrations wins, without aborting our transaction.
        row = await self.con.fetchrow(
            _STORE,
            *self._known_arguments(tenant, data["email"]),
            person_id,
            kind,
            email_index(master, tenant, data["email"]),
            seal_data(key, person_id, data),
            wrapped,
            master.key_id,
        )
        if row["person_id"] is not None:
            raise DuplicatePerson(row["person_id"], row["kind"], row["status"])
        if not row["kept"]:
            existing = await self.find_by_email(tenant, data["email"])
            assert existing is not None  # the conflicting row committed: that is why the insert did nothing
            raise DuplicatePerson(*existing)

    def _known_arguments(self, tenant: Tenant, email: str) -> tuple[str, list[bytes], str]:
        # Under each master key of the ring: rows not yet wrapped again by the current one keep their index until
        # they are (adapters/sealing.py); rows written before sealing are found by their clear e-mail until sealed.
        return tenant.value, [email_index(master, tenant, email) for master in self.keys.keys], normalize_email(email)

    async def read(self, person_id: uuid.UUID, tenant: Tenant) -> dict[str, Any]:
        row = await self.con.fetchrow(f"{_READ} WHERE d.person_id = $1 AND d.tenant = $2", person_id, tenant.value)
        return opened(self.keys, row) if row else {}

    async def read_many(self, person_ids: Sequence[uuid.UUID], tenant: Tenant) -> dict[uuid.UUID, dict[str, Any]]:
        """The data of each of these people who is the branch's (for a page of a list)."""
        rows = await self.con.fetch(
            f"{_READ} WHERE d.person_id = ANY($1::uuid[]) AND d.tenant = $2", list(person_ids), tenant.value
        )
        return {row["person_id"]: opened(self.keys, row) for row in rows}

    async def erase(self, person_id: uuid.UUID, tenant: Tenant) -> None:
        # The person's data key goes with the row (ON DELETE CASCADE): the shredding itself. Every copy of the
        # sealed data left in the WAL, a dead tuple, a replica or a backup has no key in the database any more.
        await self.con.execute(
            "DELETE FROM personal_data WHERE person_id = $1 AND tenant = $2", person_id, tenant.value
        )
        await forget_answers_about(self.con, tenant, person_id)

    async def update(self, person_id: uuid.UUID, tenant: Tenant, changes: dict[str, Any]) -> None:
        # FOR UPDATE: two changes of one person merge one after the other, neither lost.
        row = await self.con.fetchrow(
            f"{_READ} WHERE d.person_id = $1 AND d.tenant = $2 FOR UPDATE OF d", person_id, tenant.value
        )
        if row is None:
            return
        if row["sealed"] is None:  # written before sealing: sealed now, then changed
            await seal_row_in_clear(self.con, self.keys.current, person_id)
            return await self.update(person_id, tenant, changes)
        key = unwrap_key(self.keys, row)
        await self.con.execute(
            "UPDATE personal_data SET sealed = $2, updated_at = now() WHERE person_id = $1",
            person_id,
            seal_data(key, person_id, opened(self.keys, row) | changes),
        )
