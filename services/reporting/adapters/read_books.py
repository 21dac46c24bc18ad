"""A branch's books from their read models (rm_money, rm_opening): the latest figure of each key recorded by a
moment, in its stream's order, as the fold (domain/books.py) chooses it."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.reporting.domain.books import OPENING_COUNTS, Books, OpeningPeriod
from shared.tenancy import Tenant

# The later figure of a key replaces the earlier: (stream version, event id), as books_of orders them.
_LATEST = "ORDER BY {key}, stream_version DESC, event_id DESC"  # a uuid orders as its text


async def read_books(con: asyncpg.Connection, branch: Tenant, recorded_by: datetime) -> Books:
    """The branch's money figures and opening periods as they stood at `recorded_by`."""
    money = await con.fetch(
        "SELECT DISTINCT ON (region, year, kind) region, year, kind, amount_cents FROM rm_money "
        "WHERE tenant = $1 AND recorded_at <= $2 " + _LATEST.format(key="region, year, kind"),
        branch.value,
        recorded_by,
    )
    opening = await con.fetch(
        f"SELECT DISTINCT ON (region, first_year, last_year) region, first_year, last_year, "
        f"{', '.join(OPENING_COUNTS)}, source FROM rm_opening WHERE tenant = $1 AND recorded_at <= $2 "
        + _LATEST.format(key="region, first_year, last_year"),
        branch.value,
        recorded_by,
    )
    return Books(
        {(r["region"], r["year"], r["kind"]): r["amount_cents"] for r in money},
        {(r["region"], r["first_year"], r["last_year"]): OpeningPeriod(**dict(r)) for r in opening},
    )
