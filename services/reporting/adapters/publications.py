"""The federation's publications, frozen in `federation_publications` (domain/publication.py, docs/adr/0025).

A publication is computed the first time it is asked for, after every earlier one (each is protected against those
before it), and stored; from then on it is read, never recomputed. Each is computed in a transaction of its own under
an advisory lock, so two replicas asked at once store each publication once and both answer with the stored row.
The first request after a quarter end pays for one publication (the roll-up's reads as of that day); the first ever,
for every quarter since the first publication.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date

import asyncpg

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import read_duos_formed_by_office_and_year
from services.reporting.domain.plan import formed_by_area, plan_rows
from services.reporting.domain.publication import (
    FederationTables,
    from_record,
    publication_dates,
    publish,
    to_record,
)
from services.reporting.domain.report import Slice
from shared.tenancy import Tenant

LOCK_KEY = 7_246_028  # pg_advisory_xact_lock key of the publications' computing


async def federation_publication(
    con: asyncpg.Connection, published_on: date, branches: Collection[Tenant] = tuple(Tenant)
) -> FederationTables:
    """The publication of `published_on` (a publication date) as stored, computing and storing it and any earlier
    one not stored yet, in order, each in its own transaction (what is done stays done if the caller goes away).
    `branches`: the region's (shared/regions.py), each publication's rows."""
    record = await con.fetchval("SELECT tables FROM federation_publications WHERE published_on = $1", published_on)
    if record is not None:  # the usual case: published already, one row read
        return from_record(published_on, json.loads(record))
    earlier: list[FederationTables] = []
    for day in publication_dates(published_on):
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)  # replicas take turns: stored once
            record = await con.fetchval("SELECT tables FROM federation_publications WHERE published_on = $1", day)
            if record is not None:
                earlier.append(from_record(day, json.loads(record)))
                continue
            tables = await _compute(con, day, earlier, branches)
            await con.execute(
                "INSERT INTO federation_publications (published_on, tables) VALUES ($1, $2::jsonb)",
                day,
                json.dumps(to_record(tables)),
            )
            earlier.append(tables)
    return earlier[-1]


async def stored_publications(con: asyncpg.Connection) -> list[FederationTables]:
    """Every publication stored, oldest first."""
    rows = await con.fetch("SELECT published_on, tables FROM federation_publications ORDER BY published_on")
    return [from_record(row["published_on"], json.loads(row["tables"])) for row in rows]


async def _compute(
    con: asyncpg.Connection, day: date, earlier: list[FederationTables], branches: Collection[Tenant]
) -> FederationTables:
    """The publication of `day` from the read models as of its end, each branch's cells under the definitions its
    figures use on that day; the region's `branches` only."""
    choices = definition_choices()
    by_branch = {
        t.value: await read_figures(con, Slice(t), day, choices.for_branch(t.value, day)) for t in sorted(branches)
    }
    plan = plan_rows(formed_by_area(await read_duos_formed_by_office_and_year(con, Tenant.BE, day)))
    return publish(day, by_branch, plan, earlier, Tenant.BE.value)
