"""A coordinator's lists, a subject's history and the per-office counts, from the read models: the database
sorts, counts and cuts each list; only the items shown come to Python (a figure's audit trail: read_trail.py)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg

from services.reporting.adapters.counters import as_of_rows
from services.reporting.adapters.listings import LIST_COUNTS, LISTED
from services.reporting.domain.coordination import Offices, stated_lists
from services.reporting.domain.figures import mentee_figures
from services.reporting.domain.listings import FOLLOW_UPS, INACTIVE, PROPOSALS, WAITING
from shared.tenancy import Tenant

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


# The statement runs with a generic plan (read_coordination_json), made without $3's value: PostgreSQL guesses that
# `day > $3` keeps a third of the rows, and chose to scan and filter a list's whole open part (or to sort its ended
# part with parallel workers) for the few rows after the day; at 1,000,000 facts 12 ms a read, not 2. A second bound,
# true of every row, makes it a range, which it guesses narrow (0.5%), so each part reads its index's range.
_BOUNDED_ABOVE = "{} < 'infinity'"


def _first_rows(name: str) -> str:
    """SQL: the first $4 listings of list `name` holding the day $3 in its order, and its total, reading no more
    than the rows shown (and the few that end after $3, or that a waiting mentee ties at 0 days)."""
    offices = "($2::text[] IS NULL OR l.office = ANY($2::text[]))"
    of = f"{_SHOWN} FROM {LISTED} l WHERE l.list = '{name}' AND l.tenant = $1 AND {offices} AND l.from_day <= $3"
    still = f"{of} AND l.until_day = 'infinity'"
    if name == WAITING:  # the index's order is the list's up to $3 only: from $3 on, every one of them
        still_in_order = f"{still} AND l.rank_day < $3"
        parts = [f"({still} AND l.rank_day >= $3 AND {_BOUNDED_ABOVE.format('l.rank_day')})"]
    else:
        still_in_order, parts = still, []
    parts += [
        # Still listed: the index in the list's order, from its start, stopping at $4 rows.
        f"({still_in_order} ORDER BY {_INDEX_ORDER} LIMIT $4)",
        # Listed on $3 and no longer: those ending after it (today, the few ending on a later date the facts carry),
        # the first $4 chosen and ordered from the index of ended listings alone (migration 18), then fetched.
        f"({_SHOWN.replace('l.', 'x.')} FROM {LISTED} x JOIN (SELECT l.entity, l.from_day, l.until_day, l.months "
        f"FROM {LISTED} l WHERE l.list = '{name}' AND l.tenant = $1 AND {offices} AND l.from_day <= $3 "
        f"AND l.until_day > $3 AND l.until_day <> 'infinity' AND {_BOUNDED_ABOVE.format('l.until_day')} "
        f"ORDER BY {_ORDERS[name]} LIMIT $4) k "
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

# Each list's items as the API shows them (the fold's, coordination.py), built by the database as one JSON text a
# list: up to four times `limit` items decoded and encoded again in Python cost several milliseconds a read, more
# than the database's part (docs/performance.md section 8). Days are the differences the fold computes.
_ITEMS = {
    WAITING: (
        "json_build_object('mentee_id', r.item->'mentee_id', 'office', r.office, 'registered_on', "
        "r.item->'registered_on', 'waiting_since', r.item->'waiting_since', 'days_waiting', "
        "greatest($3::date - r.rank_day, 0), 'open_proposal', o.p->0, 'proposal_expires_on', o.p->2)"
    ),
    PROPOSALS: (
        "json_build_object('proposal_id', r.item->'proposal_id', 'office', r.office, 'mentee_id', r.item->'mentee_id', "
        "'mentor_id', r.item->'mentor_id', 'proposed_on', r.item->'proposed_on', 'first_meeting_on', "
        "r.item->'first_meeting_on', 'accepted_by', r.item->'accepted_by', 'expires_on', r.item->'expires_on', "
        "'days_to_expiry', r.rank_day - $3::date, 'overdue', coalesce(r.rank_day < $3::date, false))"
    ),
    INACTIVE: (
        "json_build_object('duo_id', r.item->'duo_id', 'office', r.office, 'formed_on', r.item->'formed_on', "
        "'last_meeting_on', r.item->'last_meeting_on', 'days_without_meeting', $3::date - r.rank_day)"
    ),
    FOLLOW_UPS: (
        "json_build_object('duo_id', r.item->'duo_id', 'office', r.office, 'ended_on', r.item->'ended_on', "
        "'months', r.item->'months', 'due_on', to_char(r.rank_day, 'YYYY-MM-DD'), 'days_overdue', "
        "$3::date - r.rank_day)"
    ),
}
_SHAPED = " ".join(f"WHEN '{name}' THEN {shape}" for name, shape in _ITEMS.items())
COORDINATION_JSON = (
    f"SELECT r.list, max(r.listed) AS listed, json_agg(CASE r.list {_SHAPED} END ORDER BY r.place)::text AS items "
    f"FROM ({_COORDINATION}) r "
    # A waiting mentee's last proposed open proposal in the offices read: the first of its item's, [id, office, expiry].
    "LEFT JOIN LATERAL (SELECT o.v AS p FROM jsonb_array_elements(CASE WHEN r.list = 'waiting' THEN "
    "r.item->'proposals' END) WITH ORDINALITY o(v, i) WHERE $2::text[] IS NULL OR o.v->>1 = ANY($2::text[]) "
    "ORDER BY o.i LIMIT 1) o ON true "
    "GROUP BY r.list"
)
ListedJson = tuple[int, str]  # a list's total, and its first items as a JSON array


async def read_coordination_json(
    con: asyncpg.Connection, where: Offices, as_of: date, limit: int
) -> dict[str, ListedJson]:
    """The coordinator's four lists as of the end of `as_of` (in the branch's zone), by list name (WAITING...): each
    list's total from its counters (migration 16) and its first `limit` listings (adapters/listings.py) whose
    interval holds the day, in the list's order, as the JSON array the API answers; one statement."""
    offices = sorted(where.offices) if where.offices is not None else None
    year, month = date(as_of.year, 1, 1), date(as_of.year, as_of.month, 1)
    arguments = (where.branch.value, offices, as_of, limit, year, month)
    if con.is_in_transaction():
        # A caller's transaction (a rebuild comparing its figures): a SET LOCAL here would outlast this read and
        # plan the caller's other statements too. One read there; it plans for its own values.
        rows = await con.fetch(COORDINATION_JSON, *arguments)
    else:
        async with con.transaction():
            # A custom plan for each read's values cost 2 to 6 ms of planning (the statement's 16 index reads), more
            # than the generic plan's execution at 1,000,000 facts (docs/performance.md section 8, fourteenth session).
            await con.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            rows = await con.fetch(COORDINATION_JSON, *arguments)
    found = {row["list"]: (row["listed"], row["items"]) for row in rows}
    return {name: found.get(name, (0, "[]")) for name in _ORDERS}


async def read_coordination(con: asyncpg.Connection, where: Offices, as_of: date, limit: int) -> dict:
    """The coordinator's lists as coordination.coordination states them (read_coordination_json's, decoded)."""
    lists = await read_coordination_json(con, where, as_of, limit)
    return stated_lists(*((total, json.loads(items)) for total, items in lists.values()))


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


# Every year's counters (year 0) by year, of each office: one range of their own index (migration 22).
MENTEE_COUNTS = (
    "SELECT c.tenant, c.office, (sum(c.n) FILTER (WHERE c.figure = 'registered'))::bigint AS registered, "
    "(sum(c.n) FILTER (WHERE c.figure = 'refused'))::bigint AS refused FROM rm_counts c "
    "WHERE ($1::text IS NULL OR c.tenant = $1) AND c.office <> '*' AND c.year = 0 AND c.grain = 'y' "
    "AND c.figure IN ('registered', 'refused') GROUP BY c.tenant, c.office"
)


async def read_mentee_counts(con: asyncpg.Connection, branch: Tenant | None) -> dict:
    """Registered mentees and applications of one branch, by office; with no branch, by branch only: every fact
    recorded, from the counters of each office (every year), by year."""
    rows = await con.fetch(MENTEE_COUNTS, branch.value if branch is not None else None)
    figures = mentee_figures(
        [(r["tenant"], r["office"], r["registered"]) for r in rows if r["registered"]],
        sum(r["refused"] or 0 for r in rows),
    )
    if branch is None:
        del figures["by_office"]  # the roll-up is of branches: office detail stays with each branch
    return figures


def duos_formed_query(branch: Tenant, as_of: date | None) -> tuple[str, list]:
    """The plan's counts (read_duos_formed_by_office_and_year) as SQL and its arguments. As of a day, each grain's
    rows are one range of the counters' index by figure and day (migration 23): through the primary key the read
    searched every counter of the branch (1,200 to 1,700 blocks a read at 1,000,000 facts)."""
    q: list = [branch.value]
    recorded = as_of_rows(q, as_of) if as_of is not None else "c.grain = 'y'"
    sql = (
        "SELECT c.office, c.year, sum(c.n)::bigint AS n FROM rm_counts c WHERE c.tenant = $1 AND c.office <> '*' "
        f"AND c.year <> 0 AND c.figure = 'duos_formed' AND {recorded} GROUP BY c.office, c.year HAVING sum(c.n) <> 0"
    )
    return sql, q


async def read_duos_formed_by_office_and_year(
    con: asyncpg.Connection, branch: Tenant, as_of: date | None = None
) -> list[tuple[str, int, int]]:
    """(office, year of formation, duos) of a branch's duos recorded by the end of `as_of` (None: every one): the
    plan's counts, from the counters of each office and year."""
    sql, arguments = duos_formed_query(branch, as_of)
    rows = await con.fetch(sql, *arguments)
    return [(r["office"], r["year"], r["n"]) for r in rows]
