"""A figure's audit trail a page at a time (report.trail is the whole of it, the oracle): a keyset walk over an
index, so that a page costs the same in year ten as on day one, and its total from the counters.

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
    q = Params()
    c, more = q(cutoff), f"{q(limit + 1)}::int"  # one more than asked: whether a next page exists
    if figure == "applications":
        sql = (
            f"SELECT a.event_id AS grp, a.event_id FROM rm_applications a WHERE a.event_id > {q(after[1])}::uuid "
            f"AND a.recorded_at <= {c} AND {slice_filter(q, 'a', where, 'day')} ORDER BY a.event_id LIMIT {more}"
        )
    elif figure == "duos_formed":
        place = f"{slice_filter(q, 'd', where, 'formed_on')} AND d.duo_id > {q(after[0])}::uuid"
        sql = f"SELECT d.duo_id AS grp, d.event_id FROM rm_duos d WHERE d.recorded_at <= {c} AND {place} "
        sql += f"ORDER BY d.duo_id LIMIT {more}"
    elif figure in _RATES:
        group, event = f"{q(after[0])}::uuid", f"{q(after[1])}::uuid"
        sql = _counted_duos_facts(q, c, where, as_of, figure, asked, group, event, more)
    else:
        raise KeyError(figure)
    rows = await con.fetch(sql, *q.values)
    counted = TRAIL_FACTS[figure]
    sums = await counter_sums(con, where, as_of, [counted, "ended"])
    key = {"positive_exit": asked.positive_exit, "sustainable_work": asked.sustainable_work}.get(figure, "")
    shown = rows[:limit]
    return TrailPage(
        figure,
        definition,
        [r["event_id"] for r in shown],
        (shown[-1]["grp"], shown[-1]["event_id"]) if len(rows) > limit else None,
        sums[counted].get(key, 0),
        sums["ended"].get("", 0) if figure in _RATES else None,
    )


def _counted_duos_facts(
    q: Params, c: str, where: Slice, as_of: date, figure: str, asked: Chosen, group: str, event: str, more: str
) -> str:
    """SQL: the facts of the duos a rate counts, after the key (group, event), in the trail's order: the duos walked
    in their id's order from the key's (one more than the facts asked for suffices: each lists its formation), each
    with every fact known of it."""
    d, window = q(as_of), f"make_interval(months => {q(OUTCOME_WINDOW_MONTHS)})"
    if figure == "positive_exit":
        positive = asked.positive
        counted = f"j.event_type IN ({', '.join(repr(o) for o in OUTCOMES)})"
        if positive.qualifying_only:
            counted += f" AND (j.event_type <> '{TrainingStarted.event_type}' OR coalesce(j.qualifying, false))"
        from_formation, anchor = positive.from_formation, "x.ended_on" if positive.anchor == "end" else "x.formed_on"
    else:
        counted = f"j.event_type = '{JobFound.event_type}' AND {sustainable_job(q, c, asked.sustainable_work)}"
        from_formation, anchor = asked.work.from_formation, "x.ended_on"
    if from_formation:
        counted += " AND j.on_day >= x.formed_on"
    duos = duos_as_of(q, c, f"{slice_filter(q, 'd', where, 'formed_on')} AND d.duo_id >= {group}")
    return f"""
        WITH counted AS MATERIALIZED (SELECT x.duo_id, x.event_id FROM ({duos} ORDER BY d.duo_id) x
            WHERE x.ended_on <= {d} AND EXISTS (SELECT 1 FROM rm_duo_facts j WHERE j.duo_id = x.duo_id
              AND j.recorded_at <= {c} AND j.on_day <= {anchor} + {window} AND {counted})
            ORDER BY x.duo_id LIMIT {more} + 1)
        SELECT grp, event_id FROM (SELECT duo_id AS grp, event_id FROM counted UNION ALL
          SELECT f.duo_id, f.event_id FROM rm_duo_facts f JOIN counted USING (duo_id) WHERE f.recorded_at <= {c}) y
        WHERE (grp, event_id) > ({group}, {event}) ORDER BY grp, event_id LIMIT {more}
    """
