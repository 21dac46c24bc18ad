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
    COUNTERS_LOCK,
    duos_with_facts,
    ledger_order,
    recorded_day,
    rows_by,
)
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


def _touched(source: str, some: bool) -> str:
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


async def _proposals(con: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[str, list[Listing]]:
    facts: dict[uuid.UUID, list[ProposalFact]] = defaultdict(list)
    for row in await con.fetch(f"{_PROPOSAL_FACTS} WHERE p.proposal_id = ANY($1::uuid[])", ids):
        facts[row["proposal_id"]].append(_proposal_fact(row))
    return {f"proposal:{p}": proposal_listings(facts[p]) for p in ids}


async def _mentees(con: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[str, list[Listing]]:
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


async def _duos(con: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[str, list[Listing]]:
    listed = {f"duo:{duo.duo_id}": duo_listings(duo, facts) for duo, facts in await duos_with_facts(con, ids)}
    return {f"duo:{d}": listed.get(f"duo:{d}", []) for d in ids}


_LISTINGS_OF = {"duo": _duos, "proposal": _proposals, "mentee": _mentees}


async def listings_of_entities(
    con: asyncpg.Connection, entities: Iterable[tuple[str, str]]
) -> dict[str, list[Listing]]:
    """The listings of each (kind, id) entity, from the typed tables (one with no rows yet: none)."""
    by_kind: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kind, id_ in entities:
        by_kind[kind].append(uuid.UUID(id_))
    listings: dict[str, list[Listing]] = {}
    for kind, ids in by_kind.items():
        listings.update(await _LISTINGS_OF[kind](con, ids))
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


_REPLACE = f"""
    WITH gone AS (DELETE FROM {LISTED} WHERE entity = ANY($1::text[])
        RETURNING list, tenant, office, from_day, until_day),
      new AS (SELECT * FROM unnest({", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(_TYPES))})
        AS x({", ".join(_COLUMNS)})),
      kept AS (INSERT INTO {LISTED} ({", ".join(_COLUMNS)})
        SELECT {", ".join(f"x.{c}" for c in _COLUMNS[:-1])}, x.item::jsonb FROM new x),
      moves AS (SELECT list, tenant, office, day, sum(delta) AS delta FROM (
          SELECT list, tenant, office, from_day AS day, 1 AS delta FROM new
          UNION ALL SELECT list, tenant, office, until_day, -1 FROM new WHERE until_day <> 'infinity'
          UNION ALL SELECT list, tenant, office, from_day, -1 FROM gone
          UNION ALL SELECT list, tenant, office, until_day, 1 FROM gone WHERE until_day <> 'infinity') m
        GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0)
    INSERT INTO {LIST_COUNTS} (list, tenant, office, grain, bucket, n)
    SELECT m.list, m.tenant, c.office, g.grain, g.bucket, sum(m.delta) FROM moves m
      CROSS JOIN LATERAL (VALUES (m.office), ('*')) c(office)
      CROSS JOIN LATERAL (VALUES ('d', m.day), ('m', date_trunc('month', m.day)::date),
        ('y', date_trunc('year', m.day)::date)) g(grain, bucket)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (list, tenant, office, grain, bucket) DO UPDATE SET n = {LIST_COUNTS}.n + EXCLUDED.n
"""


async def _replace(con: asyncpg.Connection, listings: dict[str, list[Listing]]) -> None:
    """Replace the entities' listings, and move each list's totals by the new listings' minus the old ones'."""
    rows = _rows(listings)
    await con.execute(_REPLACE, list(listings), *([row[i] for row in rows] for i in range(len(_COLUMNS))))


async def list_events(con: asyncpg.Connection, event_ids: list[uuid.UUID], source: str = "ledger") -> None:
    """Relist every entity the facts `event_ids` of `source` may change (their rows already in the typed tables),
    in the caller's transaction: once each, however many of the facts touch it (the live consumer's batch)."""
    entities = [(r["kind"], r["id"]) for r in await con.fetch(_touched(source, some=True), event_ids)]
    if entities:
        # The totals' rows are shared by every consumer's batch, as the counters' are: the same lock, taken first.
        await con.execute("SELECT pg_advisory_xact_lock($1)", COUNTERS_LOCK)
        await _replace(con, await listings_of_entities(con, entities))


async def list_facts(con: asyncpg.Connection, source: str) -> int:
    """Relist every entity the facts of `source` may change, by chunks (a fill or a rebuild); how many."""
    entities = [(r["kind"], r["id"]) for r in await con.fetch(_touched(source, some=False))]
    for start in range(0, len(entities), CHUNK):
        await _replace(con, await listings_of_entities(con, entities[start : start + CHUNK]))
    return len(entities)
