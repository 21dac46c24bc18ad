"""The figures from the counters (counters.py), as of the end of a day, never a fold; and the SQL over the typed
fact tables (read_models.py) that the lists and audit trails share (read_lists.py).

A figure is a sum of counters over a bounded number of rows (a cell's years, months and days before the day asked);
Python only states the counts (report.figures_from), exactly as it states those of the fold, the oracle these are
tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from services.reporting.adapters.counters import as_of_rows
from services.reporting.domain.definitions import SUSTAINABLE_WORK, Chosen, chosen
from services.reporting.domain.figures import Figures
from services.reporting.domain.report import FigureCounts, Slice, figures_from
from services.reporting.domain.steps import OF_ALL, OF_BRANCH
from shared.events.catalog import (
    ContractExtended,
    DuoEnded,
    InternshipStarted,
    JobFound,
    TrainingStarted,
)
from shared.tenancy import OFFICES, Tenant


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
    """SQL: the job `j` counts as sustainable work under the definition, with its contract as extended by then
    (its window: outcome_window)."""
    work = SUSTAINABLE_WORK[sustainable]
    months = (
        "coalesce((SELECT c.contract_months FROM rm_duo_facts c WHERE "
        f"{_facts_of('c', 'j', (ContractExtended.event_type,), cutoff)} "
        "AND c.job_id = j.job_id ORDER BY c.occurred_at DESC, c.event_id DESC LIMIT 1), j.contract_months)"
    )
    more = ">" if work.strictly_more else ">="
    kinds = "'fixed_term', 'temporary_agency'" if work.agency else "'fixed_term'"
    return f"(j.contract_type = 'permanent' OR (j.contract_type IN ({kinds}) AND {months} {more} {q(work.min_months)}))"


async def counter_sums(
    con: asyncpg.Connection, where: Slice, as_of: date, figures: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """The counters of the slice as of the end of `as_of` (only those of `figures` when given), by figure and key:
    sums over its cells (one for a branch, an office or a year; a province's offices), over at most its years,
    months and days before."""
    tenants = [where.branch.value] if where.branch is not None else [t.value for t in Tenant]
    offices = ["*"]
    if where.office is not None or where.province is not None:
        offices = [
            o
            for o, (_, _, province) in OFFICES.items()
            if (where.office is None or o == where.office) and (where.province is None or province == where.province)
        ]
    q: list = [tenants, offices, where.year or 0]
    only = ""
    if figures is not None:  # a condition of the index's (its last columns), not an OR the planner cannot use
        q.append(list(figures))
        only = f"AND c.figure = ANY(${len(q)}::text[]) "
    rows = await con.fetch(
        "SELECT c.figure, c.key, sum(c.n)::bigint AS n FROM rm_counts c WHERE c.tenant = ANY($1::text[]) "
        f"AND c.office = ANY($2::text[]) AND c.year = $3 {only}AND {as_of_rows(q, as_of)} "
        "GROUP BY c.figure, c.key HAVING sum(c.n) <> 0",
        *q,
    )
    n: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        n[row["figure"]][row["key"]] = row["n"]
    return n


async def figure_counts(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    definitions: Chosen | str | None = None,
    of_branch: Tenant | None = None,
) -> FigureCounts:
    """The counts behind the figures of the slice as of the end of `as_of` (counter_sums).

    `of_branch`: the branch whose facts mentor retention and active mentors look at (None: every branch), as the
    programme folded for a branch (or for the federation) holds; the slice's own branch or None.
    """
    if of_branch is not None and of_branch != where.branch:
        raise ValueError("mentor figures are counted over the slice's own branch or over every branch")
    scope = OF_ALL if of_branch is None else OF_BRANCH
    asked = chosen(definitions)
    n = await counter_sums(con, where, as_of)

    def one(figure: str) -> int:
        return n[figure].get("", 0)

    return FigureCounts(
        registered=one("registered"),
        refused=one("refused"),
        refused_by_rule=n["refused_by_rule"],
        duos_formed=one("duos_formed"),
        ended=one("ended"),
        positive=n["positive"].get(asked.positive_exit, 0),
        sustainable=n["sustainable"].get(asked.sustainable_work, 0),
        first_duos_ended=n["first_duos_ended" + scope].get(asked.mentor_retention, 0),
        mentors_retained=n["mentors_retained" + scope].get(asked.mentor_retention, 0),
        active_mentors=one("active_mentors" + scope),
        meetings=one("meetings"),
        meeting_minutes=one("meeting_minutes"),
        topics=n["topics"],
        surveys={
            **{q: (n["survey_yes"].get(q, 0), answered) for q, answered in n["survey_answered"].items()},
            **{
                q: (n["survey_yes_still_working" + scope].get(q, 0), answered)
                for q, answered in n["survey_answered_still_working" + scope].items()
            },
        },
        days_to_match={int(days): duos for days, duos in n["days_to_match"].items()},
        early_endings=n["early_endings"],
        inactive_duos=one("inactive_duos"),
        follow_ups_done=one("follow_ups_done"),
        follow_ups_due=one("follow_ups_due"),
        referrals=n["referrals"],
        referrals_accompanied=n["referrals_accompanied"],
        referral_outcomes=n["referral_outcomes"],
        target_groups=n["target_groups"],
        mentor_employment=n["mentor_employment" + scope],
        employer_released=one("employer_released" + scope),
    )


async def read_figures(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    definitions: Chosen | str | None = None,
    of_branch: Tenant | None = None,
) -> Figures:
    """Every figure of the slice as of the end of `as_of`, as report.figures states them, under the definitions
    asked for (report.figures)."""
    return figures_from(await figure_counts(con, where, as_of, definitions, of_branch), definitions)
