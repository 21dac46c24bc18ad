"""Mentees' steps (domain/steps.registration_steps), computed by PostgreSQL for many mentees in one statement.

A fill or a rebuild recounts every mentee of the ledger: one by one in Python that was about a third of a rebuild's
CPU (docs/performance.md, "Issue 21, tenth session"). The rule is the same: as of each day a mentee's facts were
recorded, the mentee counts once as registered, in the place and year of their last registration recorded by then
(in the ledger's order), under the keys of their last target-group facts recorded by then ("unknown" without
them); each registration is one fact of the applications' audit trail. The steps are the differences between one
such day's value and the one before it. The live consumer keeps the Python rule for the few mentees of a batch;
tests/integration/test_reporting_read_models.py holds both equal to each other and to the fold.
"""

from __future__ import annotations

from services.reporting.adapters.local_day import recorded_day
from services.reporting.domain.listings import WAITING
from services.reporting.domain.report import target_group_keys
from services.reporting.domain.steps import TRAIL_FACTS

# The ledger's order, latest first (steps.LedgerOrder, compared as Python compares it: the stream id by code point).
LATEST_FIRST = 'recorded_at DESC, stream_id COLLATE "C" DESC, stream_version DESC, event_id DESC'
_UNKNOWN = ", ".join(f"'{key}'" for key in target_group_keys(None))


def _yes_no(column: str) -> str:
    return f"CASE WHEN g.{column} THEN 'yes' ELSE 'no' END"


def mentee_steps(mentees: str) -> str:
    """SQL: the steps of the mentees `mentees` (a query of their ids) as rm_steps rows, (entity, tenant, office, year,
    figure, key, day, delta), one a series and day, none that sums to nothing (counters._rows)."""
    return f"""
        WITH regs AS MATERIALIZED (
            SELECT a.mentee_id, a.tenant, a.office, extract(year FROM a.day)::int2 AS year,
              {recorded_day("a")} AS recorded, a.recorded_at, a.stream_id, a.stream_version, a.event_id
            FROM rm_applications a WHERE a.mentee_id IN ({mentees})),
          groups AS MATERIALIZED (
            SELECT g.mentee_id, {recorded_day("g")} AS recorded, g.recorded_at, g.stream_id, g.stream_version,
              g.event_id, CASE WHEN g.time_since_last_job IS NOT NULL THEN ARRAY[
                'neet.' || {_yes_no("neet")}, 'long_term_unemployed.' || {_yes_no("long_term_unemployed")},
                'time_since_last_job.' || g.time_since_last_job] END AS keys
            FROM rm_target_groups g WHERE g.mentee_id IN ({mentees})),
          days AS (
            SELECT mentee_id, day, lead(day) OVER (PARTITION BY mentee_id ORDER BY day) AS next
            FROM (SELECT mentee_id, recorded AS day FROM regs UNION SELECT mentee_id, recorded FROM groups) d),
          placed AS (
            SELECT DISTINCT ON (d.mentee_id, d.day) d.mentee_id, d.day, d.next, r.tenant, r.office, r.year
            FROM days d JOIN regs r ON r.mentee_id = d.mentee_id AND r.recorded <= d.day
            ORDER BY d.mentee_id, d.day, {_ledger_order("r")}),
          grouped AS (
            SELECT DISTINCT ON (p.mentee_id, p.day) p.*, coalesce(g.keys, ARRAY[{_UNKNOWN}]) AS keys
            FROM placed p LEFT JOIN groups g ON g.mentee_id = p.mentee_id AND g.recorded <= p.day
            ORDER BY p.mentee_id, p.day, {_ledger_order("g")}),
          -- Each day's value, +1 from that day and -1 from the next: summed, each day's change.
          valued AS (
            SELECT v.mentee_id, v.day, v.next, v.tenant, v.office, v.year, s.figure, s.key FROM grouped v
            CROSS JOIN LATERAL (SELECT 'registered', '' UNION ALL SELECT 'target_groups', unnest(v.keys))
              s(figure, key)),
          moves AS (
            SELECT mentee_id, tenant, office, year, figure, key, day, 1 AS delta FROM valued
            UNION ALL SELECT mentee_id, tenant, office, year, figure, key, next, -1 FROM valued WHERE next IS NOT NULL
            UNION ALL SELECT mentee_id, tenant, office, year, '{TRAIL_FACTS["applications"]}', '', recorded, 1
              FROM regs)
        SELECT 'mentee:' || mentee_id, tenant, office, year, figure, key, day, sum(delta)::int8 FROM moves
        GROUP BY mentee_id, tenant, office, year, figure, key, day HAVING sum(delta) <> 0"""


def _ledger_order(alias: str, latest_first: bool = True) -> str:
    columns = [f"{alias}.{c}" for c in LATEST_FIRST.split(", ")]
    return ", ".join(columns if latest_first else [c.removesuffix(" DESC") for c in columns])


def waiting_listings(mentees: str) -> str:
    """SQL: the listings (listings._COLUMNS) of the mentees `mentees` (a query of their ids) to whom no proposal was
    ever made, among those waiting (domain/listings.mentee_listings): as of each day their facts were recorded, in
    each branch, the mentee is listed when their latest fact there (in the order facts can only have happened) left
    them waiting, at the office of their last registration there (else of their first fact there); a line shown on
    consecutive such days is one listing, until the first day it is not shown (or open)."""
    return f"""
        WITH ms AS MATERIALIZED (
            SELECT s.*, {recorded_day("s")} AS recorded FROM rm_mentee_steps s WHERE s.mentee_id IN ({mentees})),
          days AS (SELECT DISTINCT mentee_id, recorded AS day FROM ms),
          grid AS (
            SELECT d.mentee_id, t.tenant, d.day,
              lead(d.day) OVER (PARTITION BY d.mentee_id, t.tenant ORDER BY d.day) AS next
            FROM days d JOIN (SELECT DISTINCT mentee_id, tenant FROM ms) t USING (mentee_id)),
          now AS (
            SELECT DISTINCT ON (g.mentee_id, g.tenant, g.day) g.*, s.status, s.day AS since
            FROM grid g JOIN ms s ON s.mentee_id = g.mentee_id AND s.tenant = g.tenant AND s.recorded <= g.day
            ORDER BY g.mentee_id, g.tenant, g.day,
              s.occurred_at DESC, s.causal_rank DESC, s.stream_version DESC, s.event_id DESC),
          registered AS (
            SELECT DISTINCT ON (n.mentee_id, n.tenant, n.day) n.mentee_id, n.tenant, n.day, s.office, s.day AS on_day
            FROM now n JOIN ms s ON s.mentee_id = n.mentee_id AND s.tenant = n.tenant AND s.recorded <= n.day
            WHERE n.status = 'waiting' AND s.registered
            ORDER BY n.mentee_id, n.tenant, n.day, {_ledger_order("s")}),
          first AS (
            SELECT DISTINCT ON (n.mentee_id, n.tenant, n.day) n.mentee_id, n.tenant, n.day, s.office
            FROM now n JOIN ms s ON s.mentee_id = n.mentee_id AND s.tenant = n.tenant AND s.recorded <= n.day
            WHERE n.status = 'waiting'
            ORDER BY n.mentee_id, n.tenant, n.day, {_ledger_order("s", latest_first=False)}),
          -- A day's line (NULLs: not listed), then runs of days that show the same line.
          lines AS (
            SELECT n.mentee_id, n.tenant, n.day, n.next, n.status = 'waiting' AS waiting,
              CASE WHEN n.status = 'waiting' THEN coalesce(r.office, f.office) END AS office,
              CASE WHEN n.status = 'waiting' THEN n.since END AS since, r.on_day AS registered_on
            FROM now n LEFT JOIN registered r USING (mentee_id, tenant, day) LEFT JOIN first f
              USING (mentee_id, tenant, day)),
          marked AS (
            SELECT l.*, CASE WHEN ROW(l.waiting, l.office, l.since, l.registered_on) IS DISTINCT FROM
              ROW(lag(l.waiting) OVER w, lag(l.office) OVER w, lag(l.since) OVER w, lag(l.registered_on) OVER w)
              THEN 1 ELSE 0 END AS starts
            FROM lines l WINDOW w AS (PARTITION BY l.mentee_id, l.tenant ORDER BY l.day)),
          runs AS (
            SELECT m.*, sum(m.starts) OVER (PARTITION BY m.mentee_id, m.tenant ORDER BY m.day) AS run FROM marked m)
        SELECT 'mentee:' || mentee_id AS entity, '{WAITING}' AS list, tenant, office, mentee_id AS subject,
          min(day) AS from_day, CASE WHEN bool_or(next IS NULL) THEN 'infinity'::date ELSE max(next) END AS until_day,
          since AS rank_day, 0::int2 AS months,
          jsonb_build_object('mentee_id', mentee_id::text, 'registered_on', to_char(registered_on, 'YYYY-MM-DD'),
            'waiting_since', to_char(since, 'YYYY-MM-DD'), 'proposals', '[]'::jsonb) AS item
        FROM runs WHERE waiting GROUP BY mentee_id, tenant, run, office, since, registered_on"""
