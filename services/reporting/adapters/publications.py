"""The federation's publications, frozen in `federation_publications` (domain/publication.py, docs/adr/0025).

A publication is computed the first time it is asked for, after every earlier one (each is protected against those
before it), and stored; from then on it is read, never recomputed. The computing is serialised by a transaction-level
advisory lock, so two replicas asked at once store each publication once, and both answer with the stored row.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import read_duos_formed_by_office_and_year
from services.reporting.domain.definitions import DEFAULT_SUSTAINABLE_WORK
from services.reporting.domain.plan import formed_by_area, plan_rows
from services.reporting.domain.publication import (
    FederationTables,
    from_record,
    publication_dates,
    publish,
    to_record,
)
from services.reporting.domain.report import Slice
from shared.tenancy import TIMEZONES, Tenant

LOCK_KEY = 7_246_028  # pg_advisory_xact_lock key of the publications' computing


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in the Belgian branch's zone, where the federation's figures are cut."""
    zone = TIMEZONES[Tenant.BE]
    return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC) - timedelta(microseconds=1)


async def federation_publication(con: asyncpg.Connection, published_on: date) -> FederationTables:
    """The publication of `published_on` (a publication date) as stored, computing and storing it and any earlier
    one not stored yet, in order."""
    stored = await _stored(con, published_on)
    if published_on in stored:
        return stored[published_on]
    async with con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        stored = await _stored(con, published_on)  # another replica may have stored them while we waited
        earlier = [stored[day] for day in sorted(stored)]
        for day in publication_dates(published_on):
            if day in stored:
                continue
            tables = await _compute(con, day, [e for e in earlier if e.published_on < day])
            await con.execute(
                "INSERT INTO federation_publications (published_on, tables) VALUES ($1, $2::jsonb)",
                day,
                json.dumps(to_record(tables)),
            )
            stored[day] = tables
            earlier = [stored[d] for d in sorted(stored)]
    return stored[published_on]


async def _stored(con: asyncpg.Connection, until: date) -> dict[date, FederationTables]:
    rows = await con.fetch("SELECT published_on, tables FROM federation_publications WHERE published_on <= $1", until)
    return {r["published_on"]: from_record(r["published_on"], json.loads(r["tables"])) for r in rows}


async def _compute(con: asyncpg.Connection, day: date, earlier: list[FederationTables]) -> FederationTables:
    """The publication of `day` from the read models as of its end, under the default definitions."""
    cutoff = end_of_day(day)
    by_branch = {t.value: await read_figures(con, Slice(t), day, cutoff, DEFAULT_SUSTAINABLE_WORK) for t in Tenant}
    plan = plan_rows(formed_by_area(await read_duos_formed_by_office_and_year(con, Tenant.BE, cutoff)))
    return publish(day, by_branch, plan, earlier, Tenant.BE.value)
