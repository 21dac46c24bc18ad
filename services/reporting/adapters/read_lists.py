"""A coordinator's lists, a subject's history and the per-office counts, from the read models: the database
sorts, counts and cuts each list; only the items shown come to Python (a figure's audit trail: read_trail.py)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import asyncpg

from services.reporting.adapters.counters import as_of_rows
from services.reporting.adapters.listings import LIST_COUNTS, LISTED
from services.reporting.domain.coordination import Offices, stated_lists
from services.reporting.domain.figures import mentee_figures
from services.reporting.domain.listings import FOLLOW_UPS, INACTIVE, PROPOSALS, WAITING
from shared.tenancy import Tenant


def _shown(item: Any) -> dict[str, Any]:
    """A listing's item, on a connection with the JSON codec (init_connection) or without it (text)."""
    return json.loads(item) if isinstance(item, str) else item


# Each list's order (the fold's, coordination.py): the day that orders it, then the entity, then a follow-up's months.
# Waiting mentees: the longest wait first, every mentee waiting since the day asked or later tied at 0 days.
_ORDERS = {
    WAITING: "greatest($3::date - l.rank_day, 0) DESC, l.subject",
    PROPOSALS: "l.rank_day NULLS LAST, l.subject",
    INACTIVE: "l.rank_day, l.subject",
    FOLLOW_UPS: "l.rank_day, l.subject, l.months",
}
# The order of the index of open listings (migration 16), the same as each list's but for the waiting mentees' tie.
_INDEX_ORDER = "l.rank_day, l.subject, l.months"
_SHOWN = "SELECT l.list, l.office, l.rank_day, l.subject, l.months, l.item"  # what a read orders and shows


def _first_rows(name: str) -> str:
    """SQL: the first $4 listings of list `name` holding the day $3 in its order, and its total, reading no more
    than the rows shown (and the few that end after $3, or that a waiting mentee ties at 0 days)."""
    offices = "($2::text[] IS NULL OR l.office = ANY($2::text[]))"
    of = f"{_SHOWN} FROM {LISTED} l WHERE l.list = '{name}' AND l.tenant = $1 AND {offices} AND l.from_day <= $3"
    still = f"{of} AND l.until_day = 'infinity'"
    if name == WAITING:  # the index's order is the list's up to $3 only: from $3 on, every one of them
        still_in_order = f"{still} AND l.rank_day < $3"
        parts = [f"({still} AND l.rank_day >= $3)"]
    else:
        still_in_order, parts = still, []
    parts += [
        # Still listed: the index in the list's order, from its start, stopping at $4 rows.
        f"({still_in_order} ORDER BY {_INDEX_ORDER} LIMIT $4)",
        # Listed on $3 and no longer: those ending after it (today, the few ending on a later date the facts carry),
        # the first $4 chosen and ordered from the index of ended listings alone (migration 18), then fetched.
        f"({_SHOWN.replace('l.', 'x.')} FROM {LISTED} x JOIN (SELECT l.entity, l.from_day, l.until_day, l.months "
        f"FROM {LISTED} l WHERE l.list = '{name}' AND l.tenant = $1 AND {offices} AND l.from_day <= $3 "
        f"AND l.until_day > $3 AND l.until_day <> 'infinity' ORDER BY {_ORDERS[name]} LIMIT $4) k "
        f"ON x.entity = k.entity AND x.list = '{name}' AND x.tenant = $1 AND x.from_day = k.from_day "
        "AND x.until_day = k.until_day AND x.months = k.months)",
    ]
    # The total: the counters of the offices read (or of every office, '*') up to $3, each grain one index range.
    cell = (
        f"FROM {LIST_COUNTS} c WHERE c.list = '{name}' AND c.tenant = $1 "
        "AND c.office = ANY(coalesce($2::text[], '{*}'))"
    )
    grains = (
        "c.grain = 'y' AND c.bucket < $5",
        "c.grain = 'm' AND c.bucket >= $5 AND c.bucket < $6",
        "c.grain = 'd' AND c.bucket >= $6 AND c.bucket <= $3",
    )
    summed = " UNION ALL ".join(f"SELECT c.n {cell} AND {g}" for g in grains)
    total = f"(SELECT coalesce(sum(c.n), 0)::bigint FROM ({summed}) c)"
    order = _ORDERS[name]
    return (
        f"(SELECT l.list, l.office, l.rank_day, l.item, row_number() OVER (ORDER BY {order}) AS place, "
        f"{total} AS listed FROM "
        f"({' UNION ALL '.join(parts)}) l "
        f"ORDER BY {order} LIMIT $4)"
    )


_COORDINATION = " UNION ALL ".join(_first_rows(name) for name in _ORDERS)


async def read_coordination(con: asyncpg.Connection, where: Offices, as_of: date, limit: int) -> dict:
    """The coordinator's lists as of the end of `as_of` (in the branch's zone), as coordination.coordination
    states them: the first `limit` listings (adapters/listings.py) whose interval holds the day, in each list's
    order, and each list's total from its counters (migration 16); one statement for the four lists."""
    offices = sorted(where.offices) if where.offices is not None else None
    year, month = date(as_of.year, 1, 1), date(as_of.year, as_of.month, 1)
    rows = await con.fetch(_COORDINATION, where.branch.value, offices, as_of, limit, year, month)
    by_list: dict[str, list[asyncpg.Record]] = {name: [] for name in _ORDERS}
    for row in rows:
        by_list[row["list"]].append(row)

    def listed(name: str) -> tuple[int, list[asyncpg.Record]]:
        shown = sorted(by_list[name], key=lambda r: r["place"])  # a UNION ALL promises no order of its own
        return (shown[0]["listed"] if shown else 0), shown

    waiting, proposals, inactive, follow_ups = (listed(name) for name in _ORDERS)
    return stated_lists(
        (waiting[0], [_waiting(r, where, as_of) for r in waiting[1]]),
        (proposals[0], [_proposal(r, as_of) for r in proposals[1]]),
        (inactive[0], [_inactive(r, as_of) for r in inactive[1]]),
        (follow_ups[0], [_follow_up(r, as_of) for r in follow_ups[1]]),
    )


def _waiting(row: asyncpg.Record, where: Offices, as_of: date) -> dict[str, Any]:
    item = _shown(row["item"])
    # The last proposed of the mentee's open proposals in the offices read (the fold's, coordination.py).
    offered = next((p for p in item["proposals"] if where.offices is None or p[1] in where.offices), None)
    return {
        "mentee_id": item["mentee_id"],
        "office": row["office"],
        "registered_on": item["registered_on"],
        "waiting_since": item["waiting_since"],
        "days_waiting": max((as_of - row["rank_day"]).days, 0),
        "open_proposal": offered[0] if offered else None,
        "proposal_expires_on": offered[2] if offered else None,
    }


def _proposal(row: asyncpg.Record, as_of: date) -> dict[str, Any]:
    item, expires = _shown(row["item"]), row["rank_day"]
    return {
        "proposal_id": item["proposal_id"],
        "office": row["office"],
        "mentee_id": item["mentee_id"],
        "mentor_id": item["mentor_id"],
        "proposed_on": item["proposed_on"],
        "first_meeting_on": item["first_meeting_on"],
        "accepted_by": item["accepted_by"],
        "expires_on": item["expires_on"],
        "days_to_expiry": (expires - as_of).days if expires else None,
        "overdue": bool(expires and expires < as_of),
    }


def _inactive(row: asyncpg.Record, as_of: date) -> dict[str, Any]:
    item = _shown(row["item"])
    return {
        "duo_id": item["duo_id"],
        "office": row["office"],
        "formed_on": item["formed_on"],
        "last_meeting_on": item["last_meeting_on"],
        "days_without_meeting": (as_of - row["rank_day"]).days,
    }


def _follow_up(row: asyncpg.Record, as_of: date) -> dict[str, Any]:
    item = _shown(row["item"])
    return {
        "duo_id": item["duo_id"],
        "office": row["office"],
        "ended_on": item["ended_on"],
        "months": item["months"],
        "due_on": row["rank_day"].isoformat(),
        "days_overdue": (as_of - row["rank_day"]).days,
    }


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
