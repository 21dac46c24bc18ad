"""The federation's publications, frozen in `federation_publications` (domain/publication.py, docs/adr/0025).

A publication is computed the first time it is asked for, after every earlier one (each is protected against those
before it), and stored; from then on it is read, never recomputed. Each is computed in a transaction of its own under
an advisory lock, so two replicas asked at once store each publication once and both answer with the stored row.
The first request after a quarter end pays for one publication (the roll-up's reads as of that day); the first ever,
for every quarter since the first publication. The definitions each branch's cells were computed under are stored
with them (`definitions`, migration 15) and stated from there: a branch's later choice changes its next
publications, never a stored one.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date

import asyncpg

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import read_duos_formed_by_office_and_year
from services.reporting.domain.definitions import Chosen
from services.reporting.domain.plan import formed_by_area, plan_rows
from services.reporting.domain.publication import (
    FederationTables,
    Stated,
    from_record,
    publication_dates,
    publish,
    to_record,
)
from services.reporting.domain.report import Slice
from shared.tenancy import Tenant

LOCK_KEY = 7_246_028  # pg_advisory_xact_lock key of the publications' computing
# The definitions travel as text, whether the connection decodes JSONB (init_connection) or not: stored as an object.
_COLUMNS = "published_on, tables, definitions::text AS definitions"


async def federation_publication(
    con: asyncpg.Connection, published_on: date, branches: Collection[Tenant] = tuple(Tenant)
) -> FederationTables:
    """The publication of `published_on` (a publication date) as stored, computing and storing it and any earlier
    one not stored yet, in order, each in its own transaction (what is done stays done if the caller goes away).
    `branches`: the region's (shared/regions.py), each publication's rows."""
    row = await con.fetchrow(f"SELECT {_COLUMNS} FROM federation_publications WHERE published_on = $1", published_on)
    if row is not None:  # the usual case: published already, one row read
        return _stored(row)
    earlier: list[FederationTables] = []
    for day in publication_dates(published_on):
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)  # replicas take turns: stored once
            row = await con.fetchrow(f"SELECT {_COLUMNS} FROM federation_publications WHERE published_on = $1", day)
            if row is not None:
                earlier.append(_stored(row))
                continue
            tables = await _compute(con, day, earlier, branches)
            await con.execute(
                "INSERT INTO federation_publications (published_on, tables, definitions) "
                "VALUES ($1, $2::jsonb, $3::text::jsonb)",
                day,
                json.dumps(to_record(tables)),
                json.dumps(tables.definitions),
            )
            earlier.append(tables)
    return earlier[-1]


async def stored_publications(con: asyncpg.Connection) -> list[FederationTables]:
    """Every publication stored, oldest first."""
    rows = await con.fetch(f"SELECT {_COLUMNS} FROM federation_publications ORDER BY published_on")
    return [_stored(row) for row in rows]


async def publication_definitions(con: asyncpg.Connection, published_on: date, branches: Collection[Tenant]) -> Stated:
    """The definitions the publication of `published_on` states: those stored with it, or, when it is not stored
    yet, those it will be computed under (read without computing it: a refused request stores nothing)."""
    stored = await con.fetchval(
        "SELECT definitions::text FROM federation_publications WHERE published_on = $1", published_on
    )
    if stored is not None:
        return dict(json.loads(stored))
    return {t.value: _chosen(t, published_on).stated() for t in sorted(branches)}


def _stored(row: asyncpg.Record) -> FederationTables:
    return from_record(row["published_on"], json.loads(row["tables"]), json.loads(row["definitions"]))


def _chosen(branch: Tenant, day: date) -> Chosen:
    """The definitions a branch's cells of a publication of `day` are computed under: its choice in force then."""
    return definition_choices().for_branch(branch.value, day)


async def _compute(
    con: asyncpg.Connection, day: date, earlier: list[FederationTables], branches: Collection[Tenant]
) -> FederationTables:
    """The publication of `day` from the read models as of its end, each branch's cells under the definitions its
    figures use on that day (stated with them); the region's `branches` only."""
    by_branch = {t.value: await read_figures(con, Slice(t), day, _chosen(t, day)) for t in sorted(branches)}
    plan = plan_rows(formed_by_area(await read_duos_formed_by_office_and_year(con, Tenant.BE, day)))
    return publish(day, by_branch, plan, earlier, Tenant.BE.value)
