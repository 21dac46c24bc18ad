"""A figure's audit trail a page at a time (report.trail is the whole of it, the oracle): a keyset walk of a primary
key, so that a page costs the same in year ten as on day one, and its total from the counters. A rate's duos are
walked in batches, each checked as the figure checks them: a query the planner could turn into a scan of every duo
(one statement walking, checking and joining) is split so that each statement's rows are bounded.

The trail's facts are in a stable order, each at a key (group, event id): an application is its own group; a duo's
facts (its formation and every other fact known of it) are grouped by the duo. A page is the facts after a key, in
that order; a fact that arrives between pages is listed if its key comes after the page's last (never twice, and
a fact already listed is never skipped). docs/adr/0032 says why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.reporting.adapters.read_figures import (
    OUTCOMES,
    Params,
    counter_sums,
    duos_as_of,
    slice_filter,
    sustainable_job,
)
from services.reporting.domain.definitions import OUTCOME_WINDOW_MONTHS, Chosen, chosen
from services.reporting.domain.report import Slice
from services.reporting.domain.steps import TRAIL_FACTS
from shared.events.catalog import JobFound, TrainingStarted

TrailKey = tuple[uuid.UUID, uuid.UUID]  # (group, event id): where a fact stands in its trail's order
BEFORE_ALL: TrailKey = (uuid.UUID(int=0), uuid.UUID(int=0))
_RATES = ("positive_exit", "sustainable_work")
_MOST_DUOS_A_BATCH = 2_048  # a sparse slice's walk goes on in batches of this many duos at most


@dataclass(frozen=True)
class TrailPage:
    """One page of a figure's trail: its facts' ids in the trail's order, the key after which the next page starts
    (None: this is the last), how many facts the whole trail lists, and the duos a rate is out of (None for a
    count)."""

    figure: str
    definition: str
    event_ids: list[uuid.UUID]
    after: TrailKey | None
    total: int
    denominator_duos: int | None


async def read_trail_page(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    cutoff: datetime,
    figure: str,
    definitions: Chosen | str | None = None,
    after: TrailKey = BEFORE_ALL,
    limit: int = 100,
) -> TrailPage:
    """The facts of a figure's trail (report.trail) after the key `after`, at most `limit` of them, as they stood at
    the end of `as_of` (`cutoff`, in the branch's zone)."""
    asked = chosen(definitions)
    definition = {
        "applications": "registrations and refused applications",
        "duos_formed": "DuoFormed events",
        "positive_exit": asked.positive_exit,
        "sustainable_work": asked.sustainable_work,
    }[figure]
    counted = TRAIL_FACTS[figure]
    sums = await counter_sums(con, where, as_of, [counted, "ended"])
    key = {"positive_exit": asked.positive_exit, "sustainable_work": asked.sustainable_work}.get(figure, "")
    total = sums[counted].get(key, 0)
    wanted = limit + 1  # one more than asked: whether a next page exists
    if total == 0:
        rows: list[TrailKey] = []
    elif figure in _RATES:
        rows = await _counted_duos_facts(con, where, as_of, cutoff, figure, asked, after, wanted)
    else:
        rows = await _facts_after(con, where, cutoff, figure, after, wanted)
    shown = rows[:limit]
    return TrailPage(
        figure,
        definition,
        [event for _, event in shown],
        shown[-1] if len(rows) > limit else None,
        total,
        sums["ended"].get("", 0) if figure in _RATES else None,
    )


async def _facts_after(
    con: asyncpg.Connection, where: Slice, cutoff: datetime, figure: str, after: TrailKey, wanted: int
) -> list[TrailKey]:
    """The first `wanted` keys after `after` of a trail of one fact per key: an application, a duo's formation (one
    walk of the table's primary key)."""
    q = Params()
    c = q(cutoff)
    if figure == "applications":
        sql = (
            f"SELECT a.event_id AS grp, a.event_id FROM rm_applications a WHERE a.event_id > {q(after[1])}::uuid "
            f"AND a.recorded_at <= {c} AND {slice_filter(q, 'a', where, 'day')} ORDER BY a.event_id"
        )
    elif figure == "duos_formed":
        sql = (
            f"SELECT d.duo_id AS grp, d.event_id FROM rm_duos d WHERE d.duo_id > {q(after[0])}::uuid "
            f"AND d.recorded_at <= {c} AND {slice_filter(q, 'd', where, 'formed_on')} ORDER BY d.duo_id"
        )
    else:
        raise KeyError(figure)
    return [(r["grp"], r["event_id"]) for r in await con.fetch(f"{sql} LIMIT {q(wanted)}::int", *q.values)]


async def _counted_duos_facts(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    cutoff: datetime,
    figure: str,
    asked: Chosen,
    after: TrailKey,
    wanted: int,
) -> list[TrailKey]:
    """The first `wanted` keys after `after` of a rate's trail: the slice's duos walked in their id's order from the
    key's, a batch at a time (a walk of rm_duos' primary key), each batch's counted duos with every fact known of
    them. A batch starts at a quarter of the page's facts and doubles: a counted duo lists several facts."""
    keys: list[TrailKey] = []
    start, batch, first = after[0], max(2, wanted // 4), True
    while len(keys) < wanted:
        q = Params()
        c = q(cutoff)
        from_start = f"d.duo_id {'>=' if first else '>'} {q(start)}::uuid"
        candidates = await con.fetch(
            f"SELECT d.duo_id FROM rm_duos d WHERE {from_start} AND d.recorded_at <= {c} "
            f"AND {slice_filter(q, 'd', where, 'formed_on')} ORDER BY d.duo_id LIMIT {q(batch)}::int",
            *q.values,
        )
        if not candidates:
            break
        duos = [r["duo_id"] for r in candidates]
        q = Params()
        sql = _facts_of_counted(q, q(cutoff), as_of, figure, asked, q(duos))
        found = sorted((r["grp"], r["event_id"]) for r in await con.fetch(sql, *q.values))
        keys += [k for k in found if k > after]
        if len(duos) < batch:
            break
        start, batch, first = duos[-1], min(batch * 2, _MOST_DUOS_A_BATCH), False
    return keys[:wanted]


def _facts_of_counted(q: Params, c: str, as_of: date, figure: str, asked: Chosen, duos: str) -> str:
    """SQL: (duo, fact) of every fact of the duos `duos` (a parameter: their ids) that the rate counts as of the
    day: its formation and every other fact recorded by the cutoff `c`."""
    d, window = q(as_of), f"make_interval(months => {q(OUTCOME_WINDOW_MONTHS)})"
    if figure == "positive_exit":
        positive = asked.positive
        counted = f"j.event_type IN ({', '.join(repr(o) for o in OUTCOMES)})"
        if positive.qualifying_only:
            counted += f" AND (j.event_type <> '{TrainingStarted.event_type}' OR coalesce(j.qualifying, false))"
        from_formation, anchor = positive.from_formation, "x.ended_on" if positive.anchor == "end" else "x.formed_on"
    elif figure == "sustainable_work":
        counted = f"j.event_type = '{JobFound.event_type}' AND {sustainable_job(q, c, asked.sustainable_work)}"
        from_formation, anchor = asked.work.from_formation, "x.ended_on"
    else:
        raise KeyError(figure)
    if from_formation:
        counted += " AND j.on_day >= x.formed_on"
    duos_sql = duos_as_of(q, c, f"d.duo_id = ANY({duos}::uuid[])")
    return f"""
        WITH counted AS MATERIALIZED (SELECT x.duo_id, x.event_id FROM ({duos_sql}) x
            WHERE x.ended_on <= {d} AND EXISTS (SELECT 1 FROM rm_duo_facts j WHERE j.duo_id = x.duo_id
              AND j.recorded_at <= {c} AND j.on_day <= {anchor} + {window} AND {counted}))
        SELECT duo_id AS grp, event_id FROM counted UNION ALL
        SELECT f.duo_id, f.event_id FROM rm_duo_facts f WHERE f.duo_id IN (SELECT duo_id FROM counted)
          AND f.recorded_at <= {c}
    """
