"""The coordinator's lists kept as intervals (domain/listings.py): each mentee's, proposal's and duo's listings
recomputed from its typed rows whenever a fact about it is kept, in the same transaction, and replaced (migration
8), each list's totals by day moved by new minus old in the same statement (migration 16). One fact's entities
(the live consumer) or a whole ledger's (a fill or a rebuild, by chunks) alike, so live and rebuilt lists cannot
disagree."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import asyncpg

from services.reporting.adapters.counters import (
    CHUNK,
    SET_FILL_WORK_MEM,
    KnownDuos,
    ledger_order,
    recorded_day,
    rows_by,
)
from services.reporting.adapters.mentees_in_sql import waiting_listings
from services.reporting.domain.listings import (
    Listing,
    MenteeStep,
    ProposalFact,
    duo_listings,
    mentee_listings,
    proposal_listings,
)
from shared.events.catalog import MatchProposed, PersonalDataErased

LISTED = "rm_listed"
# Each list's total by day, month and year (migration 16): +1 on a listing's first day, -1 on the day it ends.
LIST_COUNTS = "rm_listed_counts"
_COLUMNS = ("entity", "list", "tenant", "office", "subject", "from_day", "until_day", "rank_day", "months", "item")
_TYPES = ("text", "text", "text", "text", "uuid", "date", "date", "date", "int2", "text")


def touched(source: str, some: bool) -> str:
    """SQL: (kind, id) of every entity whose listings the facts of `source` (only those of the ids $1 when `some`)
    may change: the duo, the proposal and the mentee they name, and the mentee a proposal was made to."""
    only = " AND l.event_id = ANY($1::uuid[])" if some else ""
    parts = (
        f"SELECT 'duo' AS kind, l.data->>'duo_id' AS id FROM {source} l WHERE l.data ? 'duo_id'{only}",
        f"SELECT 'proposal', l.data->>'proposal_id' FROM {source} l WHERE l.data ? 'proposal_id'{only}",
        f"SELECT 'mentee', l.data->>'mentee_id' FROM {source} l WHERE l.data ? 'mentee_id'{only}",
        f"SELECT 'mentee', l.data->>'person_id' FROM {source} l WHERE l.event_type = "
        f"'{PersonalDataErased.event_type}' AND l.data->>'kind' = 'mentee'{only}",
        f"SELECT 'mentee', p.mentee_id::text FROM {source} l JOIN rm_proposal_facts p "
        f"ON p.proposal_id = (l.data->>'proposal_id')::uuid WHERE p.mentee_id IS NOT NULL{only}",
    )
    return "SELECT DISTINCT kind, id FROM (" + " UNION ALL ".join(parts) + ") t WHERE id IS NOT NULL"


def _proposal_fact(row: asyncpg.Record) -> ProposalFact:
    return ProposalFact(
        row["event_id"],
        row["proposal_id"],
        row["event_type"],
        row["tenant"],
        row["office"],
        row["day"],
        row["recorded"],
        ledger_order(row),
        row["mentee_id"],
        row["mentor_id"],
        row["expires_on"],
        row["meeting_on"],
        row["side"],
    )


_PROPOSAL_FACTS = f"SELECT p.*, {recorded_day('p')} AS recorded FROM rm_proposal_facts p"


async def _proposals(con: asyncpg.Connection, ids: list[uuid.UUID], _: KnownDuos) -> dict[str, list[Listing]]:
    facts: dict[uuid.UUID, list[ProposalFact]] = defaultdict(list)
    for row in await con.fetch(f"{_PROPOSAL_FACTS} WHERE p.proposal_id = ANY($1::uuid[])", ids):
        facts[row["proposal_id"]].append(_proposal_fact(row))
    return {f"proposal:{p}": proposal_listings(facts[p]) for p in ids}


async def _mentees(con: asyncpg.Connection, ids: list[uuid.UUID], _: KnownDuos) -> dict[str, list[Listing]]:
    steps: dict[uuid.UUID, list[MenteeStep]] = defaultdict(list)
    for mentee, rows in (await rows_by(con, "rm_mentee_steps", "mentee_id", ids)).items():
        steps[mentee] = [
            MenteeStep(
                row["event_id"],
                row["status"],
                row["registered"],
                row["tenant"],
                row["office"],
                row["occurred_at"],
                row["causal_rank"],
                row["day"],
                row["recorded"],
                ledger_order(row),
            )
            for row in rows
        ]
    facts: dict[uuid.UUID, list[ProposalFact]] = defaultdict(list)
    made_to: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in await con.fetch(
        f"{_PROPOSAL_FACTS} WHERE p.proposal_id IN (SELECT m.proposal_id FROM rm_proposal_facts m "
        f"WHERE m.mentee_id = ANY($1::uuid[]) AND m.event_type = '{MatchProposed.event_type}')",
        ids,
    ):
        facts[row["proposal_id"]].append(_proposal_fact(row))
        if row["mentee_id"] is not None:
            made_to[row["mentee_id"]].add(row["proposal_id"])
    return {f"mentee:{m}": mentee_listings(m, steps[m], [facts[p] for p in sorted(made_to[m])]) for m in ids}


async def _duos(con: asyncpg.Connection, ids: list[uuid.UUID], duos: KnownDuos) -> dict[str, list[Listing]]:
    listed = {f"duo:{duo.duo_id}": duo_listings(duo, facts) for duo, facts in await duos.of(con, ids)}
    return {f"duo:{d}": listed.get(f"duo:{d}", []) for d in ids}


_LISTINGS_OF = {"duo": _duos, "proposal": _proposals, "mentee": _mentees}


async def listings_of_entities(
    con: asyncpg.Connection, entities: Iterable[tuple[str, str]], duos: KnownDuos | None = None
) -> dict[str, list[Listing]]:
    """The listings of each (kind, id) entity, from the typed tables (one with no rows yet: none); the duos from
    `duos` when given (read there once for the counters as well)."""
    duos = duos or KnownDuos()
    by_kind: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kind, id_ in entities:
        by_kind[kind].append(uuid.UUID(id_))
    listings: dict[str, list[Listing]] = {}
    for kind, ids in by_kind.items():
        listings.update(await _LISTINGS_OF[kind](con, ids, duos))
    return listings


def _json(value: Any) -> Any:
    return [_json(v) for v in value] if isinstance(value, tuple) else value


def _rows(listings: dict[str, list[Listing]]) -> list[tuple]:
    return [
        (
            entity,
            s.list,
            s.tenant,
            s.office,
            uuid.UUID(entity.split(":", 1)[1]),
            listing.from_day,
            listing.until_day,
            s.rank_day,
            s.months,
            json.dumps({key: _json(value) for key, value in s.item}),
        )
        for entity, of in listings.items()
        for listing in of
        for s in (listing.shown,)
    ]


# A listing the same as one kept (every column, and which copy of it: an entity could show two equal lines) stays as it
# is; only the others are deleted (by their row address) or written, and move the totals (issue 24: a relisting mostly
# finds what was there, and each row written again cost an entry in each of the table's four indexes).
_SAME = " AND ".join(
    f"n.{c} IS NOT DISTINCT FROM o.{c}" if c == "rank_day" else f"n.{c} = o.{c}" for c in (*_COLUMNS, "copy")
)


def _replacing(entities: str, new: str) -> str:
    """SQL: make the listings of the entities `entities` (a condition on their `entity`) those of `new` (rows of
    _COLUMNS, `item` as JSONB), writing only those that changed, and move each list's totals by new minus old."""
    return f"""
    WITH new AS (SELECT x.*, row_number() OVER (PARTITION BY {", ".join(f"x.{c}" for c in _COLUMNS)}) AS copy
        FROM ({new}) x),
      old AS MATERIALIZED (SELECT l.ctid AS at, l.*,
          row_number() OVER (PARTITION BY {", ".join(f"l.{c}" for c in _COLUMNS)}) AS copy
        FROM {LISTED} l WHERE l.entity {entities}),
      added AS (SELECT * FROM new n WHERE NOT EXISTS (SELECT 1 FROM old o WHERE {_SAME})),
      removed AS (SELECT * FROM old o WHERE NOT EXISTS (SELECT 1 FROM new n WHERE {_SAME})),
      gone AS (DELETE FROM {LISTED} WHERE entity {entities} AND ctid = ANY(ARRAY(SELECT at FROM removed))),
      kept AS (INSERT INTO {LISTED} ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)} FROM added),
      moves AS (SELECT list, tenant, office, day, sum(delta) AS delta FROM (
          SELECT list, tenant, office, from_day AS day, 1 AS delta FROM added
          UNION ALL SELECT list, tenant, office, until_day, -1 FROM added WHERE until_day <> 'infinity'
          UNION ALL SELECT list, tenant, office, from_day, -1 FROM removed
          UNION ALL SELECT list, tenant, office, until_day, 1 FROM removed WHERE until_day <> 'infinity') m
        GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0)
    INSERT INTO {LIST_COUNTS} (list, tenant, office, grain, bucket, n)
    SELECT m.list, m.tenant, c.office, g.grain, g.bucket, sum(m.delta) FROM moves m
      CROSS JOIN LATERAL (VALUES (m.office), ('*')) c(office)
      CROSS JOIN LATERAL (VALUES ('d', m.day), ('m', date_trunc('month', m.day)::date),
        ('y', date_trunc('year', m.day)::date)) g(grain, bucket)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (list, tenant, office, grain, bucket) DO UPDATE SET n = {LIST_COUNTS}.n + EXCLUDED.n
    """


_REPLACE = _replacing(
    "= ANY($1::text[])",
    f"SELECT {', '.join(f'x.{c}' for c in _COLUMNS[:-1])}, x.item::jsonb FROM unnest("
    f"{', '.join(f'${i + 2}::{t}[]' for i, t in enumerate(_TYPES))}) AS x({', '.join(_COLUMNS)})",
)


async def _replace(con: asyncpg.Connection, listings: dict[str, list[Listing]]) -> None:
    """Make the entities' listings these (writing only those that changed), and move each list's totals by the new
    listings' minus the old ones'."""
    rows = _rows(listings)
    await con.execute(_REPLACE, list(listings), *([row[i] for row in rows] for i in range(len(_COLUMNS))))


async def list_entities(con: asyncpg.Connection, entities: list[tuple[str, str]], duos: KnownDuos) -> None:
    """Relist the (kind, id) entities some kept facts touched (their rows already in the typed tables), in the
    caller's transaction, which holds COUNTERS_LOCK (the totals' rows are shared by every consumer's batch, as the
    counters' are): once each, however many of the facts touch it (the live consumer's batch)."""
    if entities:
        await _replace(con, await listings_of_entities(con, entities, duos))


async def list_facts(con: asyncpg.Connection, source: str) -> int:
    """Relist every entity the facts of `source` may change (a fill or a rebuild); how many."""
    async with con.transaction():
        # Its own, not count_facts' (which lasts to the end of a transaction they share): a rebuild lists on a
        # connection and in a transaction of its own (rebuild.build_read_models).
        await con.execute(SET_FILL_WORK_MEM)
        await con.execute(
            "CREATE TEMP TABLE rm_waiting (mentee_id UUID PRIMARY KEY) ON COMMIT DROP; "
            f"CREATE TEMP TABLE rm_touching ON COMMIT DROP AS {touched(source, some=False)}"
        )
        # The mentees no proposal was made to by PostgreSQL, all at once (mentees_in_sql.py); the others by the
        # domain's rules, by chunks.
        await con.execute(
            "INSERT INTO rm_waiting SELECT DISTINCT id::uuid FROM rm_touching t WHERE kind = 'mentee' AND NOT EXISTS "
            f"(SELECT 1 FROM rm_proposal_facts p WHERE p.mentee_id = t.id::uuid AND p.event_type = "
            f"'{MatchProposed.event_type}')"
        )
        await con.execute("ANALYZE rm_waiting")
        await con.execute(
            _replacing(
                "IN (SELECT 'mentee:' || mentee_id FROM rm_waiting)",
                waiting_listings("SELECT mentee_id FROM rm_waiting"),
            )
        )
        # A duo never formed (a meeting logged for a duo this ledger does not know) is listed nowhere: unless it was
        # listed before, there is nothing to relist.
        others = await con.fetch(
            "SELECT kind, id FROM rm_touching t WHERE NOT (kind = 'mentee' AND id::uuid IN (SELECT mentee_id FROM "
            "rm_waiting)) AND NOT (kind = 'duo' AND NOT EXISTS (SELECT 1 FROM rm_duos d WHERE d.duo_id = t.id::uuid) "
            f"AND NOT EXISTS (SELECT 1 FROM {LISTED} l WHERE l.entity = 'duo:' || t.id::uuid))"
        )
        touching = await con.fetchval("SELECT count(*) FROM rm_touching")
        await con.execute("DROP TABLE rm_waiting, rm_touching")
    for start in range(0, len(others), CHUNK):
        chunk = [(r["kind"], r["id"]) for r in others[start : start + CHUNK]]
        await _replace(con, await listings_of_entities(con, chunk))
    return int(touching)
