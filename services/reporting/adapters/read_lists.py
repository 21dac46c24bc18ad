"""A coordinator's lists, a figure's audit trail, a subject's history and the per-office counts, from the read
models: the database sorts, counts and cuts each list; only the items shown come to Python."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.reporting.adapters.counters import as_of_rows
from services.reporting.adapters.read_figures import (
    OUTCOMES,
    Params,
    duos_as_of,
    last_first,
    place_filter,
    slice_filter,
    sustainable_job,
)
from services.reporting.domain.coordination import Listed, Offices, stated_lists
from services.reporting.domain.definitions import (
    FOLLOW_UP_MONTHS,
    INACTIVE_AFTER_DAYS,
    OUTCOME_WINDOW_MONTHS,
    Chosen,
    chosen,
)
from services.reporting.domain.figures import mentee_figures
from services.reporting.domain.report import Slice
from shared.events.catalog import (
    DuoFormed,
    FirstMeetingScheduled,
    FollowUpRecorded,
    JobFound,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    MeetingLogged,
    TrainingStarted,
)
from shared.tenancy import Tenant

_CLOSING = f"('{DuoFormed.event_type}', '{MatchDeclined.event_type}', '{MatchExpired.event_type}')"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


async def _listed(con: asyncpg.Connection, sql: str, q: Params, limit: int) -> tuple[int, list[asyncpg.Record]]:
    rows = await con.fetch(f"SELECT *, count(*) OVER () AS listed FROM ({sql}) x LIMIT {q(limit)}", *q.values)
    return (rows[0]["listed"] if rows else 0), rows


async def read_coordination(con: asyncpg.Connection, where: Offices, as_of: date, cutoff: datetime, limit: int) -> dict:
    """The coordinator's lists as of the end of `as_of`, as coordination.coordination states them."""
    return stated_lists(
        await _waiting(con, where, as_of, cutoff, limit),
        await _open_proposals(con, where, as_of, cutoff, limit),
        await _inactive(con, where, as_of, cutoff, limit),
        await _follow_ups_due(con, where, as_of, cutoff, limit),
    )


def _proposals(q: Params, where: Offices, cutoff: str) -> str:
    """SQL: the open proposals of the offices (their MatchProposed as last recorded, nothing closing them yet)."""
    facts = f"SELECT * FROM rm_proposal_facts f WHERE f.recorded_at <= {cutoff} AND f.tenant = {q(where.branch.value)}"
    offices = place_filter(q, "p", where.branch, sorted(where.offices) if where.offices is not None else None)
    return (
        f"SELECT p.* FROM (SELECT DISTINCT ON (f.proposal_id) f.* FROM ({facts}) f "
        f"WHERE f.event_type = '{MatchProposed.event_type}' ORDER BY f.proposal_id, {last_first('f')}) p "
        f"WHERE {offices} AND NOT EXISTS (SELECT 1 FROM ({facts}) c WHERE c.proposal_id = p.proposal_id "
        f"AND c.event_type IN {_CLOSING})"
    )


async def _waiting(con: asyncpg.Connection, where: Offices, as_of: date, cutoff: datetime, limit: int) -> Listed:
    q = Params()
    c, d = q(cutoff), q(as_of)
    steps = f"SELECT * FROM rm_mentee_steps s WHERE s.tenant = {q(where.branch.value)} AND s.recorded_at <= {c}"
    offices = place_filter(q, "w", where.branch, sorted(where.offices) if where.offices is not None else None)
    proposals = _proposals(q, where, c)
    sql = f"""
        WITH steps AS MATERIALIZED ({steps}),
          now AS (SELECT DISTINCT ON (s.mentee_id) s.* FROM steps s
            ORDER BY s.mentee_id, s.occurred_at DESC, s.causal_rank DESC, s.stream_version DESC, s.event_id DESC),
          registered AS (SELECT DISTINCT ON (s.mentee_id) s.mentee_id, s.office, s.day FROM steps s WHERE s.registered
            ORDER BY s.mentee_id, {last_first("s")}),
          first AS (SELECT DISTINCT ON (s.mentee_id) s.mentee_id, s.office FROM steps s
            ORDER BY s.mentee_id, s.recorded_at, s.stream_id, s.stream_version, s.event_id),
          w AS (SELECT n.mentee_id, {q(where.branch.value)}::text AS tenant, coalesce(r.office, f.office) AS office,
            r.day AS registered_on, n.day AS since FROM now n LEFT JOIN registered r USING (mentee_id)
            LEFT JOIN first f USING (mentee_id) WHERE n.status = 'waiting'),
          open AS (SELECT DISTINCT ON (p.mentee_id) p.mentee_id, p.proposal_id, p.expires_on FROM ({proposals}) p
            ORDER BY p.mentee_id, {last_first("p")})
        SELECT w.mentee_id, w.office, w.registered_on, w.since, greatest({d}::date - w.since, 0) AS days_waiting,
          o.proposal_id, o.expires_on FROM w LEFT JOIN open o USING (mentee_id) WHERE {offices}
        ORDER BY days_waiting DESC, w.mentee_id
    """
    total, rows = await _listed(con, sql, q, limit)
    return total, [
        {
            "mentee_id": str(r["mentee_id"]),
            "office": r["office"],
            "registered_on": _iso(r["registered_on"]),
            "waiting_since": r["since"].isoformat(),
            "days_waiting": r["days_waiting"],
            "open_proposal": _str(r["proposal_id"]),
            "proposal_expires_on": _iso(r["expires_on"]),
        }
        for r in rows
    ]


async def _open_proposals(con: asyncpg.Connection, where: Offices, as_of: date, cutoff: datetime, limit: int) -> Listed:
    q = Params()
    c = q(cutoff)
    facts = f"SELECT * FROM rm_proposal_facts f WHERE f.recorded_at <= {c} AND f.tenant = {q(where.branch.value)}"
    sql = f"""
        SELECT p.proposal_id, p.office, p.mentee_id, p.mentor_id, p.day AS proposed_on, p.expires_on,
          (SELECT m.meeting_on FROM ({facts}) m WHERE m.proposal_id = p.proposal_id
             AND m.event_type = '{FirstMeetingScheduled.event_type}' ORDER BY {last_first("m")} LIMIT 1)
             AS first_meeting_on,
          ARRAY(SELECT DISTINCT a.side FROM ({facts}) a WHERE a.proposal_id = p.proposal_id AND a.side IS NOT NULL
             ORDER BY a.side) AS accepted_by
        FROM ({_proposals(q, where, c)}) p
        ORDER BY coalesce(p.expires_on::text, '9999'), p.proposal_id
    """
    total, rows = await _listed(con, sql, q, limit)
    return total, [
        {
            "proposal_id": str(r["proposal_id"]),
            "office": r["office"],
            "mentee_id": str(r["mentee_id"]),
            "mentor_id": str(r["mentor_id"]),
            "proposed_on": r["proposed_on"].isoformat(),
            "first_meeting_on": _iso(r["first_meeting_on"]),
            "accepted_by": list(r["accepted_by"]),
            "expires_on": _iso(r["expires_on"]),
            "days_to_expiry": (r["expires_on"] - as_of).days if r["expires_on"] else None,
            "overdue": bool(r["expires_on"] and r["expires_on"] < as_of),
        }
        for r in rows
    ]


def _offices_of(q: Params, where: Offices) -> str:
    return place_filter(q, "d", where.branch, sorted(where.offices) if where.offices is not None else None)


async def _inactive(con: asyncpg.Connection, where: Offices, as_of: date, cutoff: datetime, limit: int) -> Listed:
    q = Params()
    c, d = q(cutoff), q(as_of)
    since = f"({d}::date - {q(INACTIVE_AFTER_DAYS)}::int)"
    meetings = f"m.duo_id = x.duo_id AND m.event_type = '{MeetingLogged.event_type}' AND m.recorded_at <= {c}"
    sql = f"""
        SELECT x.duo_id, x.office, x.formed_on, l.last_meeting_on,
          {d}::date - coalesce(l.last_meeting_on, x.formed_on) AS days_without_meeting
        FROM ({duos_as_of(q, c, _offices_of(q, where))}) x
        CROSS JOIN LATERAL (SELECT max(m.on_day) FILTER (WHERE m.on_day <= {d}) AS last_meeting_on,
          count(*) FILTER (WHERE m.on_day > {since} AND m.on_day <= {d}) AS recent
          FROM rm_duo_facts m WHERE {meetings}) l
        WHERE NOT coalesce(x.ended_on <= {d}, false) AND x.formed_on <= {since} AND l.recent = 0
        ORDER BY days_without_meeting DESC, x.duo_id
    """
    total, rows = await _listed(con, sql, q, limit)
    return total, [
        {
            "duo_id": str(r["duo_id"]),
            "office": r["office"],
            "formed_on": r["formed_on"].isoformat(),
            "last_meeting_on": _iso(r["last_meeting_on"]),
            "days_without_meeting": r["days_without_meeting"],
        }
        for r in rows
    ]


async def _follow_ups_due(con: asyncpg.Connection, where: Offices, as_of: date, cutoff: datetime, limit: int) -> Listed:
    q = Params()
    c, d = q(cutoff), q(as_of)
    sql = f"""
        SELECT x.duo_id, x.office, x.ended_on, m AS months, (x.ended_on + make_interval(months => m))::date AS due_on
        FROM ({duos_as_of(q, c, _offices_of(q, where))}) x CROSS JOIN unnest({q(list(FOLLOW_UP_MONTHS))}::int[]) m
        WHERE x.ended_on <= {d} AND (x.ended_on + make_interval(months => m))::date <= {d}
          AND NOT EXISTS (SELECT 1 FROM rm_duo_facts f WHERE f.duo_id = x.duo_id
            AND f.event_type = '{FollowUpRecorded.event_type}' AND f.recorded_at <= {c} AND f.months = m)
        ORDER BY due_on, x.duo_id, m
    """
    total, rows = await _listed(con, sql, q, limit)
    return total, [
        {
            "duo_id": str(r["duo_id"]),
            "office": r["office"],
            "ended_on": r["ended_on"].isoformat(),
            "months": r["months"],
            "due_on": r["due_on"].isoformat(),
            "days_overdue": (as_of - r["due_on"]).days,
        }
        for r in rows
    ]


async def read_trail(
    con: asyncpg.Connection,
    where: Slice,
    as_of: date,
    cutoff: datetime,
    figure: str,
    definitions: Chosen | str | None = None,
) -> dict:
    """The audit trail of a figure (report.trail): the ids of the events it counts, sorted as ids sort."""
    asked = chosen(definitions)
    q = Params()
    c = q(cutoff)
    if figure == "applications":
        ids = await con.fetch(
            f"SELECT a.event_id FROM rm_applications a WHERE a.recorded_at <= {c} "
            f"AND {slice_filter(q, 'a', where, 'day')} ORDER BY a.event_id",
            *q.values,
        )
        return {"figure": figure, "definition": "registrations and refused applications", "event_ids": _ids(ids)}
    duos = duos_as_of(q, c, slice_filter(q, "d", where, "formed_on"))
    if figure == "duos_formed":
        rows = await con.fetch(f"SELECT x.event_id FROM ({duos}) x ORDER BY x.event_id", *q.values)
        return {"figure": figure, "definition": "DuoFormed events", "event_ids": _ids(rows)}
    d, window = q(as_of), f"make_interval(months => {q(OUTCOME_WINDOW_MONTHS)})"
    if figure == "positive_exit":
        positive = asked.positive
        counted = f"j.event_type IN ({', '.join(repr(o) for o in OUTCOMES)})"
        if positive.qualifying_only:
            counted += f" AND (j.event_type <> '{TrainingStarted.event_type}' OR coalesce(j.qualifying, false))"
        from_formation, anchor = positive.from_formation, "x.ended_on" if positive.anchor == "end" else "x.formed_on"
        definition = asked.positive_exit
    elif figure == "sustainable_work":
        counted = f"j.event_type = '{JobFound.event_type}' AND {sustainable_job(q, c, asked.sustainable_work)}"
        from_formation, anchor = asked.work.from_formation, "x.ended_on"
        definition = asked.sustainable_work
    else:
        raise KeyError(figure)
    if from_formation:
        counted += " AND j.on_day >= x.formed_on"
    rows = await con.fetch(
        f"""
        WITH ended AS MATERIALIZED (SELECT * FROM ({duos}) x WHERE x.ended_on <= {d}),
          counted AS (SELECT x.* FROM ended x WHERE EXISTS (SELECT 1 FROM rm_duo_facts j WHERE j.duo_id = x.duo_id
            AND j.recorded_at <= {c} AND j.on_day <= {anchor} + {window} AND {counted}))
        SELECT (SELECT count(*) FROM ended) AS ended, ARRAY(SELECT e FROM (SELECT event_id AS e FROM counted UNION ALL
          SELECT f.event_id FROM rm_duo_facts f JOIN counted USING (duo_id) WHERE f.recorded_at <= {c}) x
          ORDER BY e) AS ids
        """,
        *q.values,
    )
    return {
        "figure": figure,
        "definition": definition,
        "denominator_duos": rows[0]["ended"],
        "event_ids": rows[0]["ids"],
    }


def _ids(rows: list[asyncpg.Record]) -> list[uuid.UUID]:
    return [r["event_id"] for r in rows]


async def read_history(con: asyncpg.Connection, branch: Tenant, subject: uuid.UUID) -> list[dict]:
    """Every fact about one subject, oldest first, without personal data: one indexed read of the subject index."""
    rows = await con.fetch(
        "SELECT l.event_id, l.event_type, l.stream_id, l.stream_version, l.office, l.occurred_at, l.recorded_at, "
        "l.actor, l.correlation_id, l.causation_id, l.data FROM ledger l JOIN rm_subjects s ON l.event_id = s.event_id "
        "WHERE s.subject = $2 AND s.tenant = $1 ORDER BY l.occurred_at, l.recorded_at",
        branch.value,
        str(subject),
    )
    return [dict(row) for row in rows]


async def read_mentee_counts(con: asyncpg.Connection, branch: Tenant | None) -> dict:
    """Registered mentees and applications of one branch, by office; with no branch, by branch only: every fact
    recorded, from the counters of each office (every year), by year."""
    rows = await con.fetch(
        "SELECT c.tenant, c.office, (sum(c.n) FILTER (WHERE c.figure = 'registered'))::bigint AS registered, "
        "(sum(c.n) FILTER (WHERE c.figure = 'refused'))::bigint AS refused FROM rm_counts c "
        "WHERE ($1::text IS NULL OR c.tenant = $1) AND c.office <> '*' AND c.year = 0 AND c.grain = 'y' "
        "AND c.figure IN ('registered', 'refused') GROUP BY c.tenant, c.office",
        branch.value if branch is not None else None,
    )
    figures = mentee_figures(
        [(r["tenant"], r["office"], r["registered"]) for r in rows if r["registered"]],
        sum(r["refused"] or 0 for r in rows),
    )
    if branch is None:
        del figures["by_office"]  # the roll-up is of branches: office detail stays with each branch
    return figures


async def read_duos_formed_by_office_and_year(
    con: asyncpg.Connection, branch: Tenant, as_of: date | None = None
) -> list[tuple[str, int, int]]:
    """(office, year of formation, duos) of a branch's duos recorded by the end of `as_of` (None: every one): the
    plan's counts, from the counters of each office and year."""
    q: list = [branch.value]
    recorded = as_of_rows(q, as_of) if as_of is not None else "c.grain = 'y'"
    rows = await con.fetch(
        "SELECT c.office, c.year, sum(c.n)::bigint AS n FROM rm_counts c WHERE c.tenant = $1 AND c.office <> '*' "
        f"AND c.year <> 0 AND c.figure = 'duos_formed' AND {recorded} GROUP BY c.office, c.year HAVING sum(c.n) <> 0",
        *q,
    )
    return [(r["office"], r["year"], r["n"]) for r in rows]
