"""The counters behind every figure: each entity's steps (domain/steps.py) recomputed from its typed rows whenever a
fact about it is kept, and the difference added to counters by cell and day, month and year (migration 6).

One statement applies any set of entities' new steps, for one fact (the live consumer, in its transaction) or for a
whole ledger (a fill or a rebuild, set-based): the steps that differ from the kept ones are deleted or written (those
that came out as before stay), and the counters moved by new minus old. So a late fact moves exactly what it changes,
and live and rebuilt counters cannot disagree.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import asyncpg

from services.reporting.adapters.local_day import recorded_day
from services.reporting.adapters.mentees_in_sql import mentee_steps
from services.reporting.domain.steps import (
    OF_ALL,
    OF_BRANCH,
    DuoFact,
    DuoRow,
    MentorFact,
    MentorsDuo,
    Registration,
    Step,
    TargetGroupFact,
    duo_steps,
    mentor_steps,
    refusal_steps,
    registration_steps,
)
from shared.events.catalog import (
    DuoEnded,
    DuoFormed,
    MenteeApplicationRejected,
    MenteeRegistered,
    MenteeTargetGroupConsentWithdrawn,
    MenteeTargetGroupRecorded,
    MentorEmploymentRecorded,
    MentorRejoined,
    MentorSurveyRecorded,
    MentorTrainingCompleted,
    MentorWithdrawn,
    PersonalDataErased,
)

STEPS, COUNTS = "rm_steps", "rm_counts"
CHUNK = 2_000  # entities loaded and computed at once by a fill
# A consumer's transaction takes this lock before it first moves counters (pg_advisory_xact_lock), so that
# replicas' consumers, each moving many of the same counter rows in a batch, wait for each other instead of
# deadlocking: they would wait on those rows anyway. A fill runs before the consumer starts (fill_once) or with
# the ledger locked (a rebuild's switch), which a consumer's transaction takes first.
COUNTERS_LOCK = 7_246_021
# A fill's or a rebuild's statements over a whole ledger sort and hash far more than a batch's: in memory, not in
# temporary files (until the transaction ends).
SET_FILL_WORK_MEM = "SET LOCAL work_mem = '256MB'"
_STEP_COLUMNS = ("entity", "tenant", "office", "year", "figure", "key", "day", "delta")


async def rows_by(con: asyncpg.Connection, table: str, key: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The rows of `table` whose `key` is one of `ids`, each with the day it was recorded (`recorded`), by key."""
    rows: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await con.fetch(
        f"SELECT t.*, {recorded_day('t')} AS recorded FROM {table} t WHERE t.{key} = ANY($1::uuid[])", ids
    ):
        rows[row[key]].append(row)
    return rows


def touched(source: str, some: bool) -> str:
    """SQL: (kind, id) of every entity whose steps the facts of `source` (only those of the ids $1 when `some`) may
    change."""
    only = " AND l.event_id = ANY($1::uuid[])" if some else ""
    mentor_events = (MentorTrainingCompleted, MentorWithdrawn, MentorRejoined, MentorEmploymentRecorded, DuoFormed)
    mentor_facts = ", ".join(f"'{e.event_type}'" for e in mentor_events)
    mentee_facts = ", ".join(
        f"'{e.event_type}'" for e in (MenteeRegistered, MenteeTargetGroupRecorded, MenteeTargetGroupConsentWithdrawn)
    )
    parts = (
        f"SELECT 'duo' AS kind, l.data->>'duo_id' AS id FROM {source} l WHERE l.data ? 'duo_id'{only}",
        f"SELECT 'mentor', l.data->>'mentor_id' FROM {source} l WHERE l.event_type IN ({mentor_facts}){only}",
        f"SELECT 'mentor', l.data->>'person_id' FROM {source} l WHERE l.event_type = "
        f"'{PersonalDataErased.event_type}' AND l.data->>'kind' = 'mentor'{only}",
        # An end changes its mentor's retention, a mentor survey their still-working answers, once the duo is
        # known (else the duo's formation will touch them).
        f"SELECT 'mentor', d.mentor_id::text FROM {source} l JOIN rm_duos d ON d.duo_id = (l.data->>'duo_id')::uuid "
        f"WHERE l.event_type IN ('{DuoEnded.event_type}', '{MentorSurveyRecorded.event_type}'){only}",
        f"SELECT 'mentee', l.data->>'mentee_id' FROM {source} l WHERE l.event_type IN ({mentee_facts}){only}",
        f"SELECT 'refusal', l.event_id::text FROM {source} l WHERE l.event_type = "
        f"'{MenteeApplicationRejected.event_type}'{only}",
    )
    return "SELECT DISTINCT kind, id FROM (" + " UNION ALL ".join(parts) + ") t WHERE id IS NOT NULL"


def ledger_order(row: asyncpg.Record) -> tuple:
    return (row["recorded_at"], row["stream_id"], row["stream_version"], row["event_id"])


def _duo(row: asyncpg.Record) -> DuoRow:
    return DuoRow(
        row["duo_id"],
        row["tenant"],
        row["office"],
        row["mentor_id"],
        row["formed_on"],
        row["days_to_match"],
        row["recorded"],
    )


def _duo_fact(row: asyncpg.Record) -> DuoFact:
    return DuoFact(
        row["event_id"],
        row["event_type"],
        row["recorded"],
        ledger_order(row),
        row["occurred_at"],
        row["on_day"],
        row["minutes"],
        tuple(row["topics"] or ()),
        row["job_id"],
        row["contract_type"],
        row["contract_months"],
        row["reason"],
        row["months"],
        _json(row["answers"]),
        row["qualifying"],
        row["partner_kind"],
        row["accompanied"],
        row["outcome"],
    )


def _json(value: Any) -> dict[str, Any] | None:
    """A JSONB value, on a connection with the codec (init_connection) or without it (text)."""
    return json.loads(value) if isinstance(value, str) else value


_DUOS = f"SELECT d.*, {recorded_day('d')} AS recorded FROM rm_duos d"
_DUO_FACTS = (
    f"SELECT f.*, {recorded_day('f', 'd.tenant')} AS recorded FROM rm_duo_facts f JOIN rm_duos d USING (duo_id)"
)


async def duos_with_facts(con: asyncpg.Connection, ids: list[uuid.UUID]) -> list[tuple[DuoRow, list[DuoFact]]]:
    """Each duo of `ids` formed (known to rm_duos), with all its other facts."""
    duos = await con.fetch(f"{_DUOS} WHERE d.duo_id = ANY($1::uuid[])", ids)
    facts: dict[uuid.UUID, list[DuoFact]] = defaultdict(list)
    for row in await con.fetch(f"{_DUO_FACTS} WHERE f.duo_id = ANY($1::uuid[])", ids):
        facts[row["duo_id"]].append(_duo_fact(row))
    return [(_duo(d), facts[d["duo_id"]]) for d in duos]


class KnownDuos:
    """Duos with their facts, each read once however many ask for it: a batch's counters and its listings both
    recompute the duos it touched, from the same rows."""

    def __init__(self) -> None:
        self._read: dict[uuid.UUID, tuple[DuoRow, list[DuoFact]] | None] = {}

    async def of(self, con: asyncpg.Connection, ids: list[uuid.UUID]) -> list[tuple[DuoRow, list[DuoFact]]]:
        """Each duo of `ids` formed (known to rm_duos), with all its other facts."""
        if missing := [i for i in ids if i not in self._read]:
            found = {duo.duo_id: (duo, facts) for duo, facts in await duos_with_facts(con, missing)}
            self._read.update({i: found.get(i) for i in missing})
        return [duo for i in ids if (duo := self._read[i]) is not None]


async def _duo_steps(con: asyncpg.Connection, ids: list[uuid.UUID], duos: KnownDuos) -> dict[str, list[Step]]:
    return {f"duo:{duo.duo_id}": duo_steps(duo, facts) for duo, facts in await duos.of(con, ids)}


async def _mentor_steps(con: asyncpg.Connection, ids: list[uuid.UUID], _: KnownDuos) -> dict[str, list[Step]]:
    facts = {
        mentor: [
            MentorFact(
                row["kind"],
                row["tenant"],
                row["office"],
                row["day"],
                row["recorded"],
                ledger_order(row),
                row["employment_status"],
                row["employer_released"],
            )
            for row in rows
        ]
        for mentor, rows in (await rows_by(con, "rm_mentors", "mentor_id", ids)).items()
    }
    ends: dict[uuid.UUID, list[DuoFact]] = defaultdict(list)
    surveys: dict[uuid.UUID, list[DuoFact]] = defaultdict(list)
    # The mentors' duos first, then their facts by the index on (duo_id, event_type): joined on `d.mentor_id`, the
    # prepared statement's generic plan read the whole of rm_duo_facts on each call (issue 24), which grows with it.
    for row in await con.fetch(
        f"{_DUO_FACTS} WHERE f.duo_id = ANY(ARRAY(SELECT duo_id FROM rm_duos WHERE mentor_id = ANY($1::uuid[]))) "
        "AND f.event_type = ANY($2::text[])",
        ids,
        [DuoEnded.event_type, MentorSurveyRecorded.event_type],
    ):
        (ends if row["event_type"] == DuoEnded.event_type else surveys)[row["duo_id"]].append(_duo_fact(row))
    duos: dict[uuid.UUID, list[MentorsDuo]] = defaultdict(list)
    for row in await con.fetch(f"{_DUOS} WHERE d.mentor_id = ANY($1::uuid[])", ids):
        duo_id = row["duo_id"]
        duos[row["mentor_id"]].append(MentorsDuo(_duo(row), tuple(ends[duo_id]), tuple(surveys[duo_id])))
    steps: dict[str, list[Step]] = {}
    for mentor in ids:
        own, theirs = facts.get(mentor, []), duos[mentor]
        every = mentor_steps(own, theirs, OF_ALL)
        for branch in {f.tenant for f in own} | {d.duo.tenant for d in theirs}:
            every += mentor_steps(
                [f for f in own if f.tenant == branch], [d for d in theirs if d.duo.tenant == branch], OF_BRANCH
            )
        steps[f"mentor:{mentor}"] = every
    return steps


async def _mentee_steps(con: asyncpg.Connection, ids: list[uuid.UUID], _: KnownDuos) -> dict[str, list[Step]]:
    registrations: dict[uuid.UUID, list[Registration]] = defaultdict(list)
    for mentee, rows in (await rows_by(con, "rm_applications", "mentee_id", ids)).items():
        registrations[mentee] = [
            Registration(row["tenant"], row["office"], row["day"], row["recorded"], ledger_order(row)) for row in rows
        ]
    groups: dict[uuid.UUID, list[TargetGroupFact]] = defaultdict(list)
    for mentee, rows in (await rows_by(con, "rm_target_groups", "mentee_id", ids)).items():
        for row in rows:
            facts = (
                None
                if row["time_since_last_job"] is None
                else (row["neet"], row["long_term_unemployed"], row["time_since_last_job"])
            )
            groups[mentee].append(TargetGroupFact(row["recorded"], ledger_order(row), facts))
    return {f"mentee:{m}": registration_steps(registrations[m], groups[m]) for m in ids}


async def _refusal_steps(con: asyncpg.Connection, ids: list[uuid.UUID], _: KnownDuos) -> dict[str, list[Step]]:
    rows = await con.fetch(
        f"SELECT a.*, {recorded_day('a')} AS recorded FROM rm_applications a WHERE a.event_id = ANY($1::uuid[]) "
        "AND a.failed_rules IS NOT NULL",
        ids,
    )
    return {
        f"refusal:{r['event_id']}": refusal_steps(r["tenant"], r["office"], r["day"], r["recorded"], r["failed_rules"])
        for r in rows
    }


_STEPS_OF = {"duo": _duo_steps, "mentor": _mentor_steps, "mentee": _mentee_steps, "refusal": _refusal_steps}


async def steps_of_entities(
    con: asyncpg.Connection, entities: Iterable[tuple[str, str]], duos: KnownDuos | None = None
) -> dict[str, list[Step]]:
    """The steps of each (kind, id) entity, from the typed tables (an entity with no rows yet: no steps); the duos
    from `duos` when given (read there once for the listings as well)."""
    duos = duos or KnownDuos()
    by_kind: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kind, id_ in entities:
        by_kind[kind].append(uuid.UUID(id_))
    steps: dict[str, list[Step]] = {}
    for kind, ids in by_kind.items():
        steps.update(await _STEPS_OF[kind](con, ids, duos))
        steps.update({f"{kind}:{i}": [] for i in ids if f"{kind}:{i}" not in steps})
    return steps


def _apply(touched: str, new: str) -> str:
    """SQL: make the steps of the entities `touched` (a condition on `s.entity`) those of `new` (one row a series
    and day, as `_rows` gives them), writing only the rows that changed, and move the counters by new minus old.

    A recount mostly finds what was there (a duo's hundred steps, a fact changing a few): the old rows are read by
    the index on entity, compared with the new ones by series and day, and only those that differ are deleted (by
    their row address) or inserted (issue 24: deleting and writing every step again was a third of the statement)."""
    series = "tenant, office, year, figure, key, day"
    step = f"entity, {series}"
    return f"""
        WITH new AS ({new}),
          old AS MATERIALIZED (SELECT s.ctid AS at, s.* FROM {STEPS} s WHERE {touched}),
          -- One row a series and day: rows written before steps were summed by them come together here.
          was AS (SELECT {step}, sum(delta) AS delta, array_agg(at) AS ats FROM old GROUP BY {step}),
          moved AS (SELECT {", ".join(f"coalesce(n.{c}, w.{c}) AS {c}" for c in step.split(", "))},
              n.delta AS now, w.delta AS was, w.ats
            FROM new n FULL JOIN was w USING ({step}) WHERE n.delta IS DISTINCT FROM w.delta),
          -- The entities' condition too: a generic plan made while the table was a few pages costs a scan of it
          -- below one by row address, and kept it as the table grew (issue 24); the index by entity is as cheap.
          gone AS (DELETE FROM {STEPS} s WHERE {touched} AND s.ctid = ANY(ARRAY(SELECT unnest(ats) FROM moved))),
          kept AS (INSERT INTO {STEPS} ({", ".join(_STEP_COLUMNS)})
            SELECT {step}, now FROM moved WHERE now IS NOT NULL),
          diff AS (SELECT {series}, sum(coalesce(now, 0) - coalesce(was, 0)) AS delta FROM moved
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(coalesce(now, 0) - coalesce(was, 0)) <> 0)
        {_COUNTERS_MOVED}"""


def _first_steps(new: str) -> str:
    """SQL: the steps `new` written into an empty rm_steps (a rebuild's) and the counters moved by them: what `_apply`
    does when no entity has steps yet, without comparing them with none (a rebuild's biggest statement)."""
    return f"""
        WITH kept AS (INSERT INTO {STEPS} ({", ".join(_STEP_COLUMNS)})
            SELECT {", ".join(_STEP_COLUMNS)} FROM ({new}) n),
          diff AS (SELECT tenant, office, year, figure, key, day, sum(delta) AS delta FROM ({new}) n
            GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(delta) <> 0)
        {_COUNTERS_MOVED}"""


# The counters moved by `diff` (rows of a series, a day and a change), in every cell and grain that counts them.
_COUNTERS_MOVED = f"""
        INSERT INTO {COUNTS} (tenant, office, year, grain, bucket, figure, key, n)
        SELECT x.tenant, c.office, c.year, g.grain, g.bucket, x.figure, x.key, sum(x.delta) FROM diff x
          CROSS JOIN LATERAL (VALUES (x.office, x.year), ('*', x.year), (x.office, 0::int2), ('*', 0::int2))
            c(office, year)
          CROSS JOIN LATERAL (VALUES ('d', x.day), ('m', date_trunc('month', x.day)::date),
            ('y', date_trunc('year', x.day)::date)) g(grain, bucket)
        GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT (tenant, office, year, grain, bucket, figure, key) DO UPDATE SET n = {COUNTS}.n + EXCLUDED.n
    """


# `= ANY($1)`, not a join with unnest($1): the live consumer runs this prepared statement hundreds of times, and
# PostgreSQL's generic plan of the join (it cannot see the array's length) read the whole of rm_steps each time, a
# cost that grew with the ledger (issue 24: 10.5 ms a call, half of PostgreSQL's work in a demo at scale 0.05);
# the generic plan of `= ANY($1)` stays on the index by entity.
_APPLY_GIVEN = _apply(
    "s.entity = ANY($1::text[])",
    "SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::int2[], $6::text[], $7::text[], $8::date[], "
    "$9::int8[]) AS s(entity, tenant, office, year, figure, key, day, delta)",
)


def _rows(steps: dict[str, list[Step]]) -> list[tuple]:
    """The entities' steps as rows, one a series and day (an entity's steps of one series on one day summed, those
    that sum to nothing left out), so that a recount compares them with the stored ones row for row."""
    summed: dict[tuple, int] = defaultdict(int)
    for entity, of in steps.items():
        for *series_and_day, delta in of:
            summed[(entity, *series_and_day)] += delta
    return [(*step, delta) for step, delta in summed.items() if delta]


async def count_entities(con: asyncpg.Connection, entities: list[tuple[str, str]], duos: KnownDuos) -> None:
    """Recount the (kind, id) entities some kept facts touched (their rows already in the typed tables), in the
    caller's transaction, which holds COUNTERS_LOCK: once each, however many of the facts touch it (the live
    consumer's batch)."""
    if entities:
        steps = await steps_of_entities(con, entities, duos)
        rows = _rows(steps)
        columns = [[row[i] for row in rows] for i in range(len(_STEP_COLUMNS))]
        await con.execute(_APPLY_GIVEN, list(steps), *columns)


async def count_facts(con: asyncpg.Connection, source: str) -> int:
    """Recount every entity the facts of `source` may change, set-based (a fill or a rebuild); how many."""
    async with con.transaction():
        await con.execute(
            "CREATE TEMP TABLE rm_touched (entity TEXT PRIMARY KEY) ON COMMIT DROP; "
            f"CREATE TEMP TABLE rm_new_steps (LIKE {STEPS}) ON COMMIT DROP; "
            f"CREATE TEMP TABLE rm_touching ON COMMIT DROP AS {touched(source, some=False)}"
        )
        await con.execute(SET_FILL_WORK_MEM)
        # The mentees by PostgreSQL, all at once (mentees_in_sql.py); the others by the domain's rules, by chunks.
        await con.execute(
            "INSERT INTO rm_touched SELECT DISTINCT 'mentee:' || id::uuid FROM rm_touching WHERE kind = 'mentee'"
        )
        of_mentees = "SELECT substr(entity, 8)::uuid FROM rm_touched WHERE entity LIKE 'mentee:%'"
        await con.execute(f"INSERT INTO rm_new_steps {mentee_steps(of_mentees)}")
        # A duo never formed (a meeting logged for a duo this ledger does not know) counts for nothing: unless it
        # counted before, there is nothing to recount.
        others = await con.fetch(
            "SELECT kind, id FROM rm_touching t WHERE kind <> 'mentee' AND NOT (kind = 'duo' "
            "AND NOT EXISTS (SELECT 1 FROM rm_duos d WHERE d.duo_id = t.id::uuid) "
            f"AND NOT EXISTS (SELECT 1 FROM {STEPS} s WHERE s.entity = 'duo:' || t.id::uuid))"
        )
        for start in range(0, len(others), CHUNK):
            steps = await steps_of_entities(con, [(r["kind"], r["id"]) for r in others[start : start + CHUNK]])
            await con.copy_records_to_table("rm_touched", records=[(e,) for e in steps], columns=["entity"])
            await con.copy_records_to_table("rm_new_steps", records=_rows(steps), columns=list(_STEP_COLUMNS))
        if await con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {STEPS})"):
            await con.execute(_apply("s.entity IN (SELECT entity FROM rm_touched)", "SELECT * FROM rm_new_steps"))
        else:
            await con.execute(_first_steps("SELECT * FROM rm_new_steps"))
        touching = await con.fetchval("SELECT count(*) FROM rm_touching")
        await con.execute("DROP TABLE rm_touched, rm_new_steps, rm_touching")
    return int(touching)


def as_of_rows(q: list, as_of: date) -> str:
    """SQL (over rm_counts c): the rows whose sum is a counter as of the end of `as_of`; parameters appended to q."""
    q += [date(as_of.year, 1, 1), date(as_of.year, as_of.month, 1), as_of]
    year, month, day = (f"${len(q) - 2}", f"${len(q) - 1}", f"${len(q)}")
    return (
        f"((c.grain = 'y' AND c.bucket < {year}) OR (c.grain = 'm' AND c.bucket >= {year} AND c.bucket < {month}) "
        f"OR (c.grain = 'd' AND c.bucket >= {month} AND c.bucket <= {day}))"
    )
