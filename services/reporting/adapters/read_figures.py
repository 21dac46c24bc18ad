"""The figures from the read models (read_models.py): SQL aggregates, as of the end of a day, never a fold.

Every figure is counted by the database over the typed rows of the facts recorded up to the cutoff, joined where a
figure needs several facts (a duo and its end, a job and its extensions); Python only states the counts
(report.figures_from), exactly as it states those of the fold, the oracle these are tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from services.reporting.domain.definitions import (
    DEFAULT_SUSTAINABLE_WORK,
    FOLLOW_UP_MONTHS,
    INACTIVE_AFTER_DAYS,
    OUTCOME_WINDOW_MONTHS,
    SUSTAINABLE_WORK,
)
from services.reporting.domain.figures import Figures
from services.reporting.domain.report import FigureCounts, Slice, figures_from
from shared.events.catalog import (
    ContractExtended,
    DuoEnded,
    FollowUpRecorded,
    InternshipStarted,
    JobFound,
    MeetingLogged,
    MenteeSurveyRecorded,
    MentorSurveyRecorded,
    TrainingStarted,
)
from shared.tenancy import OFFICES, Tenant

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)  # the cutoff of "every fact recorded"


def last_first(alias: str) -> str:
    """SQL: the ledger's order (ledger_envelopes), reversed: the fact a fold would apply last comes first."""
    return ", ".join(f"{alias}.{column} DESC" for column in ("recorded_at", "stream_id", "stream_version", "event_id"))


class Params:
    """Positional query parameters, numbered as they are added."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def place_filter(q: Params, alias: str, branch: Tenant | None, offices: Sequence[str] | None) -> str:
    """SQL: the row's branch (all when None) and office (any when None)."""
    conditions = ["true"]
    if branch is not None:
        conditions.append(f"{alias}.tenant = {q(branch.value)}")
    if offices is not None:
        conditions.append(f"{alias}.office = ANY({q(list(offices))}::text[])")
    return " AND ".join(conditions)


def slice_filter(q: Params, alias: str, where: Slice, day: str) -> str:
    """SQL: the row is in the slice (`day`: the column whose year is the slice's year)."""
    offices: list[str] | None = None
    if where.office is not None or where.province is not None:
        offices = [
            o
            for o, (_, _, province) in OFFICES.items()
            if (where.office is None or o == where.office) and (where.province is None or province == where.province)
        ]
    sql = place_filter(q, alias, where.branch, offices)
    if where.year is not None:
        sql += f" AND extract(year FROM {alias}.{day}) = {q(where.year)}"
    return sql


def duos_as_of(q: Params, cutoff: str, place: str) -> str:
    """SQL (a query): the duos recorded by the cutoff in `place` (over alias d), each with its end as then known."""
    return (
        "SELECT d.duo_id, d.event_id, d.tenant, d.office, d.mentor_id, d.formed_on, d.days_to_match, "
        "e.ended_on, e.reason FROM rm_duos d LEFT JOIN LATERAL (SELECT f.on_day AS ended_on, f.reason "
        f"FROM rm_duo_facts f WHERE f.duo_id = d.duo_id AND f.event_type = '{DuoEnded.event_type}' "
        f"AND f.recorded_at <= {cutoff} ORDER BY {last_first('f')} LIMIT 1) e ON true "
        f"WHERE d.recorded_at <= {cutoff} AND {place}"
    )


def _facts_of(alias: str, duo: str, kinds: tuple[str, ...], cutoff: str) -> str:
    types = ", ".join(f"'{k}'" for k in kinds)
    return f"{alias}.duo_id = {duo}.duo_id AND {alias}.event_type IN ({types}) AND {alias}.recorded_at <= {cutoff}"


OUTCOMES = (JobFound.event_type, TrainingStarted.event_type, InternshipStarted.event_type)


def sustainable_job(q: Params, cutoff: str, sustainable: str) -> str:
    """SQL: the job `j` counts as sustainable work under the definition, with its contract as extended by then."""
    work = SUSTAINABLE_WORK[sustainable]
    months = (
        "coalesce((SELECT c.contract_months FROM rm_duo_facts c WHERE "
        f"{_facts_of('c', 'j', (ContractExtended.event_type,), cutoff)} "
        "AND c.job_id = j.job_id ORDER BY c.occurred_at DESC, c.event_id DESC LIMIT 1), j.contract_months)"
    )
    more = ">" if work.strictly_more else ">="
    return (
        f"(j.contract_type = 'permanent' OR (j.contract_type IN ('fixed_term', 'temporary_agency') "
        f"AND {months} {more} {q(work.min_months)}))"
    )


async def figure_counts(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    cutoff: datetime,
    sustainable: str = DEFAULT_SUSTAINABLE_WORK,
    of_branch: Tenant | None = None,
) -> FigureCounts:
    """The counts behind the figures of the slice as of the end of `as_of`, from the read models.

    `of_branch`: the branch whose facts mentor retention and active mentors look at (None: every branch), as the
    programme folded for a branch (or for the federation) holds.
    """
    q = Params()
    c, d = q(cutoff), q(as_of)
    window = f"make_interval(months => {q(OUTCOME_WINDOW_MONTHS)})"
    duos = duos_as_of(q, c, slice_filter(q, "d", where, "formed_on"))
    ended = f"SELECT * FROM duos WHERE ended_on <= {d}"
    job_counts = sustainable_job(q, c, sustainable)
    meetings = (
        "SELECT m.* FROM rm_duo_facts m JOIN duos USING (duo_id) "
        f"WHERE m.event_type = '{MeetingLogged.event_type}' AND m.recorded_at <= {c}"
    )
    inactive_since = f"({d}::date - {q(INACTIVE_AFTER_DAYS)}::int)"
    surveys = (
        "SELECT DISTINCT ON (s.duo_id, s.event_type) s.event_type, s.answers "
        "FROM rm_duo_facts s JOIN ended USING (duo_id) "
        f"WHERE s.event_type IN ('{MenteeSurveyRecorded.event_type}', '{MentorSurveyRecorded.event_type}') "
        f"AND s.recorded_at <= {c} ORDER BY s.duo_id, s.event_type, {last_first('s')}"
    )
    row = await con.fetchrow(
        f"""
        WITH duos AS MATERIALIZED ({duos}), ended AS MATERIALIZED ({ended}), meetings AS MATERIALIZED ({meetings})
        SELECT
          (SELECT count(*) FROM duos) AS formed,
          (SELECT count(*) FROM ended) AS ended,
          (SELECT count(*) FROM ended x WHERE EXISTS (SELECT 1 FROM rm_duo_facts o WHERE
             {_facts_of("o", "x", OUTCOMES, c)} AND o.on_day <= x.ended_on + {window})) AS positive,
          (SELECT count(*) FROM ended x WHERE EXISTS (SELECT 1 FROM rm_duo_facts j WHERE
             {_facts_of("j", "x", (JobFound.event_type,), c)} AND j.on_day <= x.ended_on + {window}
             AND {job_counts})) AS sustainable,
          (SELECT count(*) FROM meetings) AS meetings,
          (SELECT coalesce(sum(minutes), 0) FROM meetings) AS minutes,
          (SELECT coalesce(jsonb_object_agg(t, n), '{{}}') FROM (SELECT t, count(*) AS n FROM meetings, unnest(topics) t
             GROUP BY t) x) AS topics,
          (SELECT coalesce(jsonb_object_agg(days_to_match, n), '{{}}') FROM (SELECT days_to_match, count(*) AS n
             FROM duos GROUP BY days_to_match) x) AS days_to_match,
          (SELECT coalesce(jsonb_object_agg(reason, n), '{{}}') FROM (SELECT reason, count(*) AS n FROM ended
             WHERE reason IS NOT NULL AND reason <> 'completed' GROUP BY reason) x) AS early_endings,
          (SELECT coalesce(jsonb_object_agg(question, jsonb_build_array(yes, answered)), '{{}}') FROM (
             SELECT (CASE s.event_type WHEN '{MenteeSurveyRecorded.event_type}' THEN 'mentee.' ELSE 'mentor.' END)
             || a.key AS question, count(*) FILTER (WHERE a.value = 'true'::jsonb) AS yes, count(*) AS answered
             FROM ({surveys}) s, jsonb_each(s.answers) a WHERE jsonb_typeof(a.value) = 'boolean' GROUP BY 1) x)
             AS surveys,
          (SELECT count(*) FROM duos x WHERE NOT coalesce(x.ended_on <= {d}, false)
             AND x.formed_on <= {inactive_since} AND NOT EXISTS (SELECT 1 FROM rm_duo_facts m WHERE
             {_facts_of("m", "x", (MeetingLogged.event_type,), c)} AND m.on_day > {inactive_since}
             AND m.on_day <= {d})) AS inactive,
          (SELECT coalesce(jsonb_build_array(count(*) FILTER (WHERE done),
             count(*) FILTER (WHERE NOT done AND x.ended_on + make_interval(months => m) <= {d})), '[0, 0]')
             FROM ended x CROSS JOIN unnest({q(list(FOLLOW_UP_MONTHS))}::int[]) m
             CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM rm_duo_facts f WHERE
               {_facts_of("f", "x", (FollowUpRecorded.event_type,), c)} AND f.months = m) AS done) z) AS follow_ups
        """,
        *q.values,
    )
    applications = await _applications(con, where, cutoff)
    retention = await _mentor_retention(con, where, as_of, cutoff, of_branch)
    done, due = row["follow_ups"]
    return FigureCounts(
        registered=applications["registered"],
        refused=applications["refused"],
        refused_by_rule=applications["by_rule"],
        duos_formed=row["formed"],
        ended=row["ended"],
        positive=row["positive"],
        sustainable=row["sustainable"],
        first_duos_ended=retention["first_ended"],
        mentors_retained=retention["retained"],
        active_mentors=await _active_mentors(con, where, as_of, cutoff, of_branch),
        meetings=row["meetings"],
        meeting_minutes=int(row["minutes"]),
        topics=row["topics"],
        surveys={k: (yes, answered) for k, (yes, answered) in row["surveys"].items()},
        days_to_match={int(k): v for k, v in row["days_to_match"].items()},
        early_endings=row["early_endings"],
        inactive_duos=row["inactive"],
        follow_ups_done=done,
        follow_ups_due=due,
    )


async def read_figures(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    cutoff: datetime,
    sustainable: str = DEFAULT_SUSTAINABLE_WORK,
    of_branch: Tenant | None = None,
) -> Figures:
    """Every figure of the slice as of the end of `as_of`, as report.figures states them."""
    return figures_from(await figure_counts(con, where, as_of, cutoff, sustainable, of_branch), sustainable)


async def _applications(con: asyncpg.Connection, where: Slice, cutoff: datetime) -> dict:
    q = Params()
    row = await con.fetchrow(
        f"""
        WITH a AS MATERIALIZED (SELECT mentee_id, failed_rules FROM rm_applications a
          WHERE a.recorded_at <= {q(cutoff)} AND {slice_filter(q, "a", where, "day")})
        SELECT (SELECT count(DISTINCT mentee_id) FROM a) AS registered,
               (SELECT count(*) FROM a WHERE failed_rules IS NOT NULL) AS refused,
               (SELECT coalesce(jsonb_object_agg(r, n), '{{}}') FROM (SELECT r, count(*) AS n
                  FROM a, unnest(failed_rules) r GROUP BY r) x) AS by_rule
        """,
        *q.values,
    )
    return dict(row)


async def _mentor_retention(
    con: asyncpg.Connection, where: Slice, as_of: date, cutoff: datetime, of_branch: Tenant | None
) -> dict:
    """Mentors whose first duo (of the branch's, in the slice) ended by then, and of them those who formed another."""
    q = Params()
    c, d = q(cutoff), q(as_of)
    every = duos_as_of(q, c, place_filter(q, "d", of_branch, None))
    row = await con.fetchrow(
        f"""
        WITH b AS MATERIALIZED ({every}),
          firsts AS (SELECT * FROM (SELECT b.*, row_number() OVER (PARTITION BY mentor_id ORDER BY formed_on, duo_id)
            AS n, count(*) OVER (PARTITION BY mentor_id) AS duos FROM b) x WHERE n = 1)
        -- Every other duo of a mentor formed on or after their first (the first is the earliest): retained.
        SELECT count(*) AS first_ended, count(*) FILTER (WHERE f.duos > 1) AS retained
        FROM firsts f WHERE f.ended_on <= {d} AND {slice_filter(q, "f", where, "formed_on")}
        """,
        *q.values,
    )
    return dict(row)


async def _active_mentors(
    con: asyncpg.Connection, where: Slice, as_of: date, cutoff: datetime, of_branch: Tenant | None
) -> int:
    """Mentors trained by then (in the slice) who had not left: withdrawn (the last word), else erased (the first)."""
    q = Params()
    c, d = q(cutoff), q(as_of)
    left = (
        "coalesce((SELECT w.day FROM rm_mentors w WHERE w.mentor_id = t.mentor_id AND w.kind = 'withdrawn' "
        f"AND w.recorded_at <= {c} AND {place_filter(q, 'w', of_branch, None)} "
        f"ORDER BY {last_first('w')} LIMIT 1), "
        "(SELECT e.day FROM rm_mentors e WHERE e.mentor_id = t.mentor_id AND e.kind = 'erased' "
        f"AND e.recorded_at <= {c} AND {place_filter(q, 'e', of_branch, None)} "
        "ORDER BY e.recorded_at, e.stream_id, e.stream_version, e.event_id LIMIT 1))"
    )
    count: int = await con.fetchval(
        f"""
        WITH t AS (SELECT DISTINCT ON (mentor_id) * FROM rm_mentors m WHERE m.kind = 'trained' AND m.recorded_at <= {c}
          AND {place_filter(q, "m", of_branch, None)} ORDER BY m.mentor_id, {last_first("m")})
        SELECT count(*) FROM t WHERE t.day <= {d} AND {slice_filter(q, "t", where, "day")}
          AND coalesce({left} > {d}, true)
        """,
        *q.values,
    )
    return count
