"""Reporting's read models: which facts of the ledger go to which typed table, with which columns.

One statement per table, written once here, runs two ways: for one fact just kept in the ledger (the live
consumer, in the same transaction), and for a whole ledger at once (a rebuild, set-based, after its replay).
So the live and rebuilt read models cannot disagree on what a fact means. Each row is keyed by the fact's event
id (a duo by its id): a fact delivered again changes nothing, and facts that arrive in any order each land in
their own row; figures join them at read time (read_figures.py), under the definitions asked for.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

import asyncpg

from services.reporting.adapters import counters, listings
from services.reporting.adapters.counters import COUNTERS_LOCK, COUNTS, STEPS, KnownDuos, count_entities, count_facts
from services.reporting.adapters.listings import LIST_COUNTS, LISTED, list_entities, list_facts
from services.reporting.domain.books import KIND_OF, OPENING_COUNTS
from shared.events.catalog import (
    ContractExtended,
    DuoEnded,
    DuoFormed,
    FirstMeetingScheduled,
    FollowUpRecorded,
    InternshipStarted,
    JobFound,
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    MeetingLogged,
    MenteeApplicationRejected,
    MenteeReadyForMatching,
    MenteeReferred,
    MenteeRegistered,
    MenteeRejoined,
    MenteeSurveyRecorded,
    MenteeTargetGroupConsentWithdrawn,
    MenteeTargetGroupRecorded,
    MenteeWithdrawn,
    MentorEmploymentRecorded,
    MentorRejoined,
    MentorSurveyRecorded,
    MentorTrainingCompleted,
    MentorWithdrawn,
    OpeningFiguresRecorded,
    PersonalDataErased,
    ReferralOutcomeRecorded,
    TrainingStarted,
)
from shared.events.event import DomainEvent
from shared.tenancy import TIMEZONES

_ZONE = "CASE l.tenant " + " ".join(f"WHEN '{t.value}' THEN '{z.key}'" for t, z in TIMEZONES.items()) + " END"
LOCAL_DAY = f"(l.occurred_at AT TIME ZONE {_ZONE})::date"  # the branch's local date of the fact (tenancy.local_date)


def _text(field: str) -> str:
    return f"(l.data->>'{field}')"


def _uuid(field: str) -> str:
    return f"(l.data->>'{field}')::uuid"


def _date(field: str) -> str:
    return f"(l.data->>'{field}')::date"


def _types(*events: type[DomainEvent]) -> str:
    return "l.event_type IN (" + ", ".join(f"'{e.event_type}'" for e in events) + ")"


@dataclass(frozen=True)
class ReadModel:
    """A table of facts: which facts (`where`, over the ledger row `l`), their columns, and the row's key."""

    table: str
    where: str
    columns: dict[str, str]
    key: str = "event_id"
    event_types: frozenset[str] = frozenset()  # the facts it may hold (none named: any fact may hold a row)

    @property
    def keyed_by_fact(self) -> bool:
        """Whether each fact gives at most one row and its key is the fact's id: then the rows of a ledger's facts
        are distinct without the key (its event ids are), and a fresh table can be filled before its key exists."""
        return self.key == "event_id"

    def statement(self, source: str, suffix: str = "", some: bool = False, fresh: bool = False) -> str:
        """INSERT the rows of `source`'s facts (only those of the ids $1 when `some`) into the table (+ `suffix`).
        `fresh`: the table is empty and, when `keyed_by_fact`, has no key yet (a rebuild's): no ON CONFLICT, whose
        arbiter index costs an index search and entry per row (a rebuild's typed tables filled in about half the
        time without it, docs/performance.md)."""
        only = " AND l.event_id = ANY($1::uuid[])" if some else ""
        conflicts = "" if fresh and self.keyed_by_fact else f" ON CONFLICT ({self.key}) DO NOTHING"
        return (
            f"INSERT INTO {self.table}{suffix} ({', '.join(self.columns)}) "
            f"SELECT {', '.join(self.columns.values())} FROM {source} l WHERE {self.where}{only}{conflicts}"
        )


_PLACE = {"tenant": "l.tenant", "office": "l.office"}
_LEDGER_ORDER = {"stream_id": "l.stream_id", "stream_version": "l.stream_version"}
_MENTEE_STATUS = {
    MenteeRegistered.event_type: "registered",
    MenteeReadyForMatching.event_type: "waiting",
    MenteeWithdrawn.event_type: "gone",
    PersonalDataErased.event_type: "gone",
    MenteeRejoined.event_type: "registered",
    DuoFormed.event_type: "in_duo",
    DuoEnded.event_type: "gone",
}
_UUID_SHAPE = "-".join("_" * n for n in (8, 4, 4, 4, 12))  # LIKE: 36 characters, the dashes in their places


def is_id_sql(text: str) -> str:
    """SQL: whether `text` is an id as the platform writes it, '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-
    [0-9a-f]{12}$' exactly: its shape by LIKE, then, the dashes being in their places, four dashes and hex digits
    only. That regular expression cost PostgreSQL about 5 us a value (its counted repeats), LIKE 0.2 and the
    other about 1: the subject index, which tests every value of every fact, filled in about half the time
    (docs/performance.md). The CASE keeps the cheap test first, which an AND would not promise."""
    return (
        f"CASE WHEN {text} LIKE '{_UUID_SHAPE}' THEN {text} ~ '^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$' "
        "ELSE false END"
    )


def _case(mapping: dict[str, str], otherwise: str = "NULL") -> str:
    return (
        "CASE l.event_type " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in mapping.items()) + f" ELSE {otherwise} END"
    )


READ_MODELS = (
    ReadModel(
        "rm_applications",
        _types(MenteeRegistered, MenteeApplicationRejected),
        {
            "event_id": "l.event_id",
            **_PLACE,
            "day": LOCAL_DAY,
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
            "mentee_id": _case({MenteeRegistered.event_type: _uuid("mentee_id")}),
            "failed_rules": _case(
                {
                    MenteeApplicationRejected.event_type: (
                        "ARRAY(SELECT jsonb_array_elements_text(coalesce(l.data->'failed_rules', '[]'::jsonb)))"
                    )
                }
            ),
        },
        event_types=frozenset({MenteeRegistered.event_type, MenteeApplicationRejected.event_type}),
    ),
    ReadModel(
        "rm_target_groups",
        _types(MenteeTargetGroupRecorded, MenteeTargetGroupConsentWithdrawn),
        {
            "event_id": "l.event_id",
            "mentee_id": _uuid("mentee_id"),
            "tenant": "l.tenant",
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
            # NULL facts: the consent withdrawn (programme._target_group).
            "neet": _case({MenteeTargetGroupRecorded.event_type: "coalesce((l.data->>'neet')::boolean, false)"}),
            "long_term_unemployed": _case(
                {MenteeTargetGroupRecorded.event_type: "coalesce((l.data->>'long_term_unemployed')::boolean, false)"}
            ),
            "time_since_last_job": _case({MenteeTargetGroupRecorded.event_type: _text("time_since_last_job")}),
        },
        event_types=frozenset({MenteeTargetGroupRecorded.event_type, MenteeTargetGroupConsentWithdrawn.event_type}),
    ),
    ReadModel(
        "rm_mentors",
        f"({_types(MentorTrainingCompleted, MentorWithdrawn, MentorRejoined, MentorEmploymentRecorded)} OR "
        f"({_types(PersonalDataErased)} AND l.data->>'kind' = 'mentor'))",
        {
            "event_id": "l.event_id",
            "mentor_id": _case({PersonalDataErased.event_type: _uuid("person_id")}, _uuid("mentor_id")),
            "kind": _case(
                {
                    MentorTrainingCompleted.event_type: "'trained'",
                    MentorWithdrawn.event_type: "'withdrawn'",
                    MentorRejoined.event_type: "'rejoined'",
                    PersonalDataErased.event_type: "'erased'",
                    MentorEmploymentRecorded.event_type: "'employment'",
                }
            ),
            **_PLACE,
            "day": LOCAL_DAY,
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
            "employment_status": _case({MentorEmploymentRecorded.event_type: _text("status")}),
            "employer_released": _case(
                {MentorEmploymentRecorded.event_type: "coalesce((l.data->>'employer_released')::boolean, false)"}
            ),
        },
        event_types=frozenset(
            {
                MentorTrainingCompleted.event_type,
                MentorWithdrawn.event_type,
                MentorRejoined.event_type,
                PersonalDataErased.event_type,
                MentorEmploymentRecorded.event_type,
            }
        ),
    ),
    ReadModel(
        "rm_duos",
        _types(DuoFormed),
        {
            "duo_id": _uuid("duo_id"),
            "event_id": "l.event_id",
            **_PLACE,
            "mentee_id": _uuid("mentee_id"),
            "mentor_id": _uuid("mentor_id"),
            "formed_on": _date("formed_on"),
            "days_to_match": "(l.data->>'days_to_match')::int",
            "recorded_at": "l.recorded_at",
        },
        key="duo_id",
        event_types=frozenset({DuoFormed.event_type}),
    ),
    ReadModel(
        "rm_duo_facts",
        f"l.data ? 'duo_id' AND l.event_type <> '{DuoFormed.event_type}'",
        {
            "event_id": "l.event_id",
            "duo_id": _uuid("duo_id"),
            "event_type": "l.event_type",
            "occurred_at": "l.occurred_at",
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
            "on_day": _case(
                {
                    MeetingLogged.event_type: _date("met_on"),
                    JobFound.event_type: _date("started_on"),
                    TrainingStarted.event_type: _date("started_on"),
                    InternshipStarted.event_type: _date("started_on"),
                    DuoEnded.event_type: _date("ended_on"),
                    ContractExtended.event_type: _date("extended_on"),
                    FollowUpRecorded.event_type: _date("recorded_on"),
                    MenteeReferred.event_type: _date("referred_on"),
                    ReferralOutcomeRecorded.event_type: _date("recorded_on"),
                }
            ),
            "minutes": _case({MeetingLogged.event_type: "coalesce((l.data->>'duration_minutes')::int, 0)"}),
            "topics": _case(
                {MeetingLogged.event_type: "ARRAY(SELECT jsonb_array_elements_text(coalesce(l.data->'topics', '[]')))"}
            ),
            "job_id": _case({JobFound.event_type: _uuid("job_id"), ContractExtended.event_type: _uuid("job_id")}),
            "contract_type": _case({JobFound.event_type: _text("contract_type")}),
            "contract_months": _case(
                {
                    JobFound.event_type: "(l.data->>'contract_months')::int",
                    ContractExtended.event_type: "(l.data->>'contract_months')::int",
                }
            ),
            "reason": _case({DuoEnded.event_type: _text("reason")}),
            "months": _case({FollowUpRecorded.event_type: "(l.data->>'months')::int"}),
            "answers": _case({MenteeSurveyRecorded.event_type: "l.data", MentorSurveyRecorded.event_type: "l.data"}),
            "qualifying": _case({TrainingStarted.event_type: "(l.data->>'qualifying')::boolean"}),
            "partner_kind": _case(
                {
                    MenteeReferred.event_type: _text("partner_kind"),
                    ReferralOutcomeRecorded.event_type: _text("partner_kind"),
                }
            ),
            "accompanied": _case({MenteeReferred.event_type: "(l.data->>'accompanied')::boolean"}),
            "outcome": _case({ReferralOutcomeRecorded.event_type: _text("outcome")}),
        },
    ),
    ReadModel(
        "rm_mentee_steps",
        "(l.event_type IN ("
        + ", ".join(f"'{k}'" for k in _MENTEE_STATUS if k != PersonalDataErased.event_type)
        + f") OR (l.event_type = '{PersonalDataErased.event_type}' AND l.data->>'kind' = 'mentee'))",
        {
            "event_id": "l.event_id",
            "mentee_id": _case({PersonalDataErased.event_type: _uuid("person_id")}, _uuid("mentee_id")),
            "status": _case({k: f"'{v}'" for k, v in _MENTEE_STATUS.items()}),
            "registered": f"l.event_type = '{MenteeRegistered.event_type}'",
            **_PLACE,
            "occurred_at": "l.occurred_at",
            # Facts of one moment in the order they can only have happened (programme._CAUSAL_RANK).
            "causal_rank": _case({DuoFormed.event_type: "1", DuoEnded.event_type: "2"}, "0"),
            **_LEDGER_ORDER,
            "day": _case(
                {
                    DuoFormed.event_type: _date("formed_on"),
                    DuoEnded.event_type: f"coalesce({_date('ended_on')}, {LOCAL_DAY})",
                },
                LOCAL_DAY,
            ),
            "recorded_at": "l.recorded_at",
        },
        event_types=frozenset(_MENTEE_STATUS),
    ),
    ReadModel(
        "rm_proposal_facts",
        _types(MatchProposed, MatchAccepted, DuoFormed, MatchDeclined, MatchExpired, FirstMeetingScheduled),
        {
            "event_id": "l.event_id",
            "proposal_id": _uuid("proposal_id"),
            "event_type": "l.event_type",
            **_PLACE,
            "day": LOCAL_DAY,
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
            "mentee_id": _case({MatchProposed.event_type: _uuid("mentee_id")}),
            "mentor_id": _case({MatchProposed.event_type: _uuid("mentor_id")}),
            "expires_on": _case({MatchProposed.event_type: _date("expires_on")}),
            "meeting_on": _case({FirstMeetingScheduled.event_type: _date("meeting_on")}),
            "side": _case({MatchAccepted.event_type: _text("side")}),
        },
        event_types=frozenset(
            e.event_type
            for e in (MatchProposed, MatchAccepted, DuoFormed, MatchDeclined, MatchExpired, FirstMeetingScheduled)
        ),
    ),
    # The branch's books (docs/adr/0026): each money figure and each opening period as recorded; the latest of a key
    # (in its stream's order) is chosen at read time (read_books.py), as the fold chooses it (domain/books.py).
    ReadModel(
        "rm_money",
        "l.event_type IN (" + ", ".join(f"'{t}'" for t in KIND_OF) + ")",
        {
            "event_id": "l.event_id",
            "tenant": "l.tenant",
            "region": _text("region"),
            "year": "(l.data->>'year')::int",
            "kind": _case({t: f"'{kind}'" for t, kind in KIND_OF.items()}),
            "amount_cents": "(l.data->>'amount_cents')::bigint",
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
        },
        event_types=frozenset(KIND_OF),
    ),
    ReadModel(
        "rm_opening",
        _types(OpeningFiguresRecorded),
        {
            "event_id": "l.event_id",
            "tenant": "l.tenant",
            "region": _text("region"),
            "first_year": "(l.data->>'first_year')::int",
            "last_year": "(l.data->>'last_year')::int",
            **{name: f"(l.data->>'{name}')::int" for name in OPENING_COUNTS},
            "source": _text("source"),
            "recorded_at": "l.recorded_at",
            **_LEDGER_ORDER,
        },
        event_types=frozenset({OpeningFiguresRecorded.event_type}),
    ),
)


class SubjectIndex:
    """Which facts name a subject: every id among the fact's values, and the one its stream ends with."""

    table = "rm_subjects"
    event_types: frozenset[str] = frozenset()

    key = "subject, event_id"

    def statement(self, source: str, suffix: str = "", some: bool = False, fresh: bool = False) -> str:
        """`fresh`: the table is empty and has no key yet (a rebuild's): no ON CONFLICT. The rows are distinct
        without it: one UNION over all the facts (not one per fact: a rebuild spent about a second more on those),
        the ledger's event ids unique, a fact's tenant its own."""
        only = " AND l.event_id = ANY($1::uuid[])" if some else ""
        return (
            f"INSERT INTO {self.table}{suffix} (subject, event_id, tenant) "
            f"SELECT v.value, l.event_id, l.tenant FROM {source} l CROSS JOIN LATERAL jsonb_each_text(l.data) v "
            f"WHERE {is_id_sql('v.value')}{only} "
            f"UNION SELECT right(l.stream_id, 36), l.event_id, l.tenant FROM {source} l "
            f"WHERE {is_id_sql('right(l.stream_id, 36)')}{only}"
            + ("" if fresh else f" ON CONFLICT ({self.key}) DO NOTHING")
        )


TABLES = tuple(m.table for m in READ_MODELS) + (SubjectIndex.table, STEPS, COUNTS, LISTED, LIST_COUNTS)
# The tables a rebuild fills before their key exists (their rows distinct without it), then keys: one sort each.
FILLED_BEFORE_KEYED = tuple(m.table for m in READ_MODELS if m.keyed_by_fact) + (SubjectIndex.table,)
_ALL: tuple[ReadModel | SubjectIndex, ...] = (*READ_MODELS, SubjectIndex())


def kept_with_typed_rows(keep: str) -> str:
    """SQL: `keep` (an INSERT of facts into a ledger, RETURNING the rows it kept) and the typed rows of those facts,
    in one statement (each table's, from the rows `keep` returns: a fact kept before adds nothing); what it answers is
    how many facts it kept. One round trip for a batch's facts and all their tables (issue 24), where the rebuild
    runs the same table statements over a whole ledger."""
    tables = ", ".join(f"typed_{n} AS ({model.statement('kept')})" for n, model in enumerate(_ALL))
    return f"WITH kept AS ({keep}), {tables} SELECT count(*) FROM kept"


@functools.cache
def _touched(source: str) -> str:
    """SQL: the entities whose counters (`counted`) and whose listings (`listed`) the facts of `source` whose ids are
    $1 may change, in one statement, which takes COUNTERS_LOCK ($2) first when there are any (one round trip
    less: the lock is what a recount takes before it moves counters)."""
    # The batch's facts read once: each of the eleven parts below looking them up by id in `source` was an index
    # search per fact and part (at the full plan, 93 facts a batch: 2,041 blocks a call, issue 24).
    return (
        f"WITH batch AS MATERIALIZED (SELECT event_id, event_type, data FROM {source} "
        "WHERE event_id = ANY($1::uuid[])), "
        f"touched AS MATERIALIZED (SELECT 'counted' AS purpose, kind, id FROM "
        f"({counters.touched('batch', some=False)}) c UNION ALL "
        f"SELECT 'listed', kind, id FROM ({listings.touched('batch', some=False)}) l), "
        "locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($2) WHERE EXISTS (SELECT 1 FROM touched)) "
        "SELECT purpose, kind, id FROM touched WHERE (SELECT count(*) FROM locked) >= 0"
    )


async def recount(con: asyncpg.Connection, event_ids: list[uuid.UUID], source: str = "ledger") -> None:
    """The counters and listings of every entity the facts `event_ids` of `source` touch (their typed rows kept),
    each recomputed once from its typed rows (a duo's read once for both): one fact's, or a whole batch's (the live
    consumer's), in the caller's transaction. A fact kept before recounts nothing that changed."""
    touched: dict[str, list[tuple[str, str]]] = {"counted": [], "listed": []}
    for row in await con.fetch(_touched(source), event_ids, COUNTERS_LOCK):
        touched[row["purpose"]].append((row["kind"], row["id"]))
    duos = KnownDuos()
    await count_entities(con, touched["counted"], duos)
    await list_entities(con, touched["listed"], duos)


async def fill_fact_tables(con: asyncpg.Connection, source: str) -> None:
    """Every typed row of the facts of `source`, set-based, and their subject index, in the caller's transaction."""
    await fill_typed_tables(con, source)
    await fill_subject_index(con, source)


async def fill_typed_tables(con: asyncpg.Connection, source: str, fresh: bool = False) -> None:
    """Every typed table's rows of the facts of `source`, set-based (the subject index aside). `fresh`: the tables
    are empty and those `keyed_by_fact` have no key yet (`FILLED_BEFORE_KEYED`, a rebuild's)."""
    for model in READ_MODELS:
        await con.execute(model.statement(source, fresh=fresh))


async def fill_subject_index(con: asyncpg.Connection, source: str, fresh: bool = False) -> None:
    """The subject index of the facts of `source`. It reads the ledger alone, so a rebuild fills it beside the typed
    tables, on a connection of its own. `fresh`: the index is empty and has no key (a rebuild's): its rows go in
    without a key to keep up, which the rebuild adds once they are in (one sort instead of an index entry per row:
    about 2 of a rebuild's 4.6 s for it at 100,000 facts)."""
    await con.execute(SubjectIndex().statement(source, fresh=fresh))


async def fill_read_models(con: asyncpg.Connection, source: str) -> None:
    """Every read-model row of the facts of `source` (a whole ledger, a fill, a rebuild's carried facts),
    set-based, and the counters of what they touch; in the caller's transaction."""
    await fill_fact_tables(con, source)
    await count_facts(con, source)
    await list_facts(con, source)


async def fill_once(con: asyncpg.Connection) -> bool:
    """Fill the read models from a ledger kept before they existed, once (migrations 4, 6 and 9 say whether it must
    be); True when it did. Replicas starting together take turns on the lock: the first fills, the others find it
    done. A ledger whose typed tables were kept (version 4) but not yet counted (version 6) or listed (version 8)
    has its counters or listings computed from those tables."""
    async with con.transaction():
        await con.execute("LOCK TABLE rm_filled, rm_counted, rm_listed_filled IN EXCLUSIVE MODE")
        filled = await con.fetchval("SELECT EXISTS (SELECT 1 FROM rm_filled)")
        counted = await con.fetchval("SELECT EXISTS (SELECT 1 FROM rm_counted)")
        listed = await con.fetchval("SELECT EXISTS (SELECT 1 FROM rm_listed_filled)")
        if filled and counted and listed:
            return False
        if not filled:
            await fill_read_models(con, "ledger")
            await con.execute("INSERT INTO rm_filled DEFAULT VALUES")
        else:
            if not counted:
                await count_facts(con, "ledger")
            if not listed:
                await list_facts(con, "ledger")
        await con.execute("INSERT INTO rm_counted SELECT now() WHERE NOT EXISTS (SELECT 1 FROM rm_counted)")
        await con.execute("INSERT INTO rm_listed_filled SELECT now() WHERE NOT EXISTS (SELECT 1 FROM rm_listed_filled)")
        return True
