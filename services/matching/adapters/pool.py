"""The candidate pool: projected from intake's and tracking's events, read by suggestions and rounds,
and held under row locks by a proposal so that two coordinators never overbook a person."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.matching.domain.scoring import Declined, MenteeCandidate, MentorCandidate
from services.matching.service import PoolMentee, PoolMentor
from shared.consuming.parking import Effect
from shared.events.catalog import (
    DuoEnded,
    MenteeProfileChanged,
    MenteeReadyForMatching,
    MenteeRegistered,
    MenteeRejoined,
    MenteeWithdrawn,
    MentorProfileChanged,
    MentorRegistered,
    MentorRejoined,
    MentorTrainingCompleted,
    MentorWithdrawn,
    PersonalDataErased,
)
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant, local_date

# --- Projection: intake's and tracking's facts ------------------------------------------------


async def _mentee_registered(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    # A registered mentee is not matchable yet: 'registered' until intake says MenteeReadyForMatching
    # (information session attended, intake interview suitable). Only 'waiting' mentees are read below.
    e = envelope.payload()
    assert isinstance(e, MenteeRegistered)
    await con.execute(
        "INSERT INTO pool_mentees (mentee_id, tenant, office, sector, languages, day_parts, registered_at, status) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, 'registered') ON CONFLICT (mentee_id) DO NOTHING",
        e.mentee_id,
        envelope.tenant.value,
        envelope.office,
        e.job_target_sector,
        list(e.languages),
        list(e.available_day_parts),
        envelope.occurred_at,
    )


async def _mentee_changed(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MenteeProfileChanged)
    await con.execute(
        "UPDATE pool_mentees SET sector = coalesce($2, sector), languages = coalesce($3, languages), "
        "day_parts = coalesce($4, day_parts) WHERE mentee_id = $1",
        e.mentee_id,
        e.job_target_sector,
        list(e.languages) if e.languages is not None else None,
        list(e.available_day_parts) if e.available_day_parts is not None else None,
    )


async def _mentee_ready(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MenteeReadyForMatching)
    await con.execute(
        "UPDATE pool_mentees SET status = 'waiting' WHERE mentee_id = $1 AND status = 'registered'", e.mentee_id
    )


async def _mentee_rejoined(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    # Back in intake, not yet matchable: the intake interview comes again, then MenteeReadyForMatching.
    e = envelope.payload()
    assert isinstance(e, MenteeRejoined)
    await con.execute(
        "UPDATE pool_mentees SET status = 'registered' WHERE mentee_id = $1 AND status = 'gone'", e.mentee_id
    )


async def _mentee_left(con: asyncpg.Connection, mentee_id: uuid.UUID) -> None:
    # A withdrawn or erased mentee leaves the pool; an open proposal of theirs stays for its answer or expiry.
    await con.execute("UPDATE pool_mentees SET status = 'gone' WHERE mentee_id = $1", mentee_id)


async def _mentee_withdrawn(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MenteeWithdrawn)
    await _mentee_left(con, e.mentee_id)


async def _mentor_registered(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MentorRegistered)
    experience = [{"sector": x.sector, "years": x.years} for x in e.experience]
    await con.execute(
        "INSERT INTO pool_mentors (mentor_id, tenant, office, experience, languages, day_parts, capacity) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mentor_id) DO NOTHING",
        e.mentor_id,
        envelope.tenant.value,
        envelope.office,
        experience,
        list(e.languages),
        list(e.available_day_parts),
        e.capacity,
    )


async def _mentor_changed(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MentorProfileChanged)
    experience = [{"sector": x.sector, "years": x.years} for x in e.experience] if e.experience is not None else None
    await con.execute(
        "UPDATE pool_mentors SET experience = coalesce($2, experience), languages = coalesce($3, languages), "
        "day_parts = coalesce($4, day_parts), capacity = coalesce($5, capacity) WHERE mentor_id = $1",
        e.mentor_id,
        experience,
        list(e.languages) if e.languages is not None else None,
        list(e.available_day_parts) if e.available_day_parts is not None else None,
        e.capacity,
    )


async def _mentor_trained(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MentorTrainingCompleted)
    await con.execute("UPDATE pool_mentors SET trained = true WHERE mentor_id = $1", e.mentor_id)


async def _mentor_withdrawn(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, MentorWithdrawn)
    await con.execute("UPDATE pool_mentors SET active = false WHERE mentor_id = $1", e.mentor_id)


async def _mentor_rejoined(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    # Back as before they withdrew: matchable again if trained (the query reads `trained AND active`).
    e = envelope.payload()
    assert isinstance(e, MentorRejoined)
    await con.execute("UPDATE pool_mentors SET active = true WHERE mentor_id = $1", e.mentor_id)


async def _erased(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    e = envelope.payload()
    assert isinstance(e, PersonalDataErased)
    if e.kind == "mentee":
        await _mentee_left(con, e.person_id)
    else:
        await con.execute("UPDATE pool_mentors SET active = false WHERE mentor_id = $1", e.person_id)


async def _duo_ended(con: asyncpg.Connection, envelope: EventEnvelope) -> None:
    # The mentor returns with the capacity they still have (this is how retention happens); the mentee leaves.
    e = envelope.payload()
    assert isinstance(e, DuoEnded)
    await con.execute(
        "UPDATE pool_mentors SET active_duos = greatest(active_duos - 1, 0) WHERE mentor_id = $1", e.mentor_id
    )
    await _mentee_left(con, e.mentee_id)


POOL_EFFECTS: dict[str, Effect] = {
    MenteeRegistered.event_type: _mentee_registered,
    MenteeProfileChanged.event_type: _mentee_changed,
    MenteeReadyForMatching.event_type: _mentee_ready,
    MenteeWithdrawn.event_type: _mentee_withdrawn,
    MenteeRejoined.event_type: _mentee_rejoined,
    MentorRegistered.event_type: _mentor_registered,
    MentorProfileChanged.event_type: _mentor_changed,
    MentorTrainingCompleted.event_type: _mentor_trained,
    MentorWithdrawn.event_type: _mentor_withdrawn,
    MentorRejoined.event_type: _mentor_rejoined,
    PersonalDataErased.event_type: _erased,
    DuoEnded.event_type: _duo_ended,
}

# --- Reads and the bookkeeping of proposals: the pool as the handlers' port (service.CandidatePool) -------


def _mentee_candidate(row: asyncpg.Record) -> MenteeCandidate:
    """A pool row as the scoring sees a mentee (registered on the branch's local date)."""
    return MenteeCandidate(
        mentee_id=row["mentee_id"],
        office=row["office"],
        sector=row["sector"],
        languages=frozenset(row["languages"]),
        day_parts=frozenset(row["day_parts"]),
        registered_on=local_date(Tenant(row["tenant"]), row["registered_at"]),
    )


def _mentor_candidate(row: Mapping[str, Any]) -> MentorCandidate:
    """A pool row as the scoring sees a mentor."""
    return MentorCandidate(
        mentor_id=row["mentor_id"],
        office=row["office"],
        experience=_experience_of(row),
        languages=frozenset(row["languages"]),
        day_parts=frozenset(row["day_parts"]),
        free_capacity=max(0, row["capacity"] - row["open_proposals"] - row["active_duos"]),
    )


def _experience_of(row: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    raw = row["experience"]
    items = json.loads(raw) if isinstance(raw, str) else raw
    return tuple((item["sector"], int(item["years"])) for item in items)


def _pool_mentee(row: asyncpg.Record) -> PoolMentee:
    return PoolMentee(_mentee_candidate(row), row["status"])


def _pool_mentor(row: Mapping[str, Any]) -> PoolMentor:
    return PoolMentor(_mentor_candidate(row), row["trained"], row["active"])


# What the mentor's candidate and pool row are read from (migrations/0001_pool_and_proposals.sql).
_MENTOR_COLUMNS = (
    *("mentor_id", "tenant", "office", "experience", "languages", "day_parts"),
    *("capacity", "trained", "active", "open_proposals", "active_duos"),
)


def _locking(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""


# Both people of a pair in one round trip (issue 24). The mentor is read by a lateral subquery on the mentee's row, so
# the mentee's row is locked first, then the mentor's, in the one order every handler takes (service.py); the mentor's
# columns come prefixed (`_MENTOR`), as both tables have some of the same names.
_MENTOR = "o_"
_PAIR = f"""
SELECT me.*, {", ".join(f"mo.{c} AS {_MENTOR}{c}" for c in _MENTOR_COLUMNS)},
       EXISTS (SELECT FROM declined_pairs d WHERE d.mentee_id = me.mentee_id AND d.mentor_id = $3) AS declined
FROM (SELECT * FROM pool_mentees WHERE mentee_id = $1 AND tenant = $2 FOR UPDATE) me
LEFT JOIN LATERAL (SELECT * FROM pool_mentors WHERE mentor_id = $3 AND tenant = me.tenant FOR UPDATE) mo ON true
"""
_AVAILABLE = (
    "tenant = $1 AND office = ANY($2::text[]) AND trained AND active AND open_proposals + active_duos < capacity"
)
# Each below changes a mentee's row and their mentor's in one statement, both rows already locked by the handler (the
# proposal's pair, a round's pool), but for an expiry's release: there the mentee's row is the main statement's and
# is locked first, as before; an unreferenced data-modifying WITH runs once the main statement is done.
_HOLD = """
WITH mentor AS (UPDATE pool_mentors SET open_proposals = open_proposals + 1 WHERE mentor_id = $2)
UPDATE pool_mentees SET status = 'proposed' WHERE mentee_id = $1
"""
_RELEASE = """
WITH mentor AS (
    UPDATE pool_mentors SET open_proposals = greatest(open_proposals - 1, 0) WHERE mentor_id = $2
), declined AS (
    INSERT INTO declined_pairs (mentee_id, mentor_id) SELECT $1, $2 WHERE $3::boolean ON CONFLICT DO NOTHING
)
UPDATE pool_mentees SET status = 'waiting' WHERE mentee_id = $1 AND status = 'proposed'
"""
_FORM_DUO = """
WITH mentor AS (
    UPDATE pool_mentors SET open_proposals = greatest(open_proposals - 1, 0), active_duos = active_duos + 1
    WHERE mentor_id = $2
)
UPDATE pool_mentees SET status = 'in_duo' WHERE mentee_id = $1
"""


@dataclass(frozen=True)
class PostgresPool:
    """The candidate pool's tables, on the connection of the command's transaction."""

    con: asyncpg.Connection

    async def mentee(self, tenant: Tenant, mentee_id: uuid.UUID, lock: bool = False) -> PoolMentee | None:
        row = await self.con.fetchrow(
            f"SELECT * FROM pool_mentees WHERE mentee_id = $1 AND tenant = $2{_locking(lock)}", mentee_id, tenant.value
        )
        return None if row is None else _pool_mentee(row)

    async def mentor(self, tenant: Tenant, mentor_id: uuid.UUID, lock: bool = False) -> PoolMentor | None:
        row = await self.con.fetchrow(
            f"SELECT * FROM pool_mentors WHERE mentor_id = $1 AND tenant = $2{_locking(lock)}", mentor_id, tenant.value
        )
        return None if row is None else _pool_mentor(row)

    async def pair(
        self, tenant: Tenant, mentee_id: uuid.UUID, mentor_id: uuid.UUID
    ) -> tuple[PoolMentee | None, PoolMentor | None, Declined]:
        row = await self.con.fetchrow(_PAIR, mentee_id, tenant.value, mentor_id)
        if row is None:
            return None, None, frozenset()
        mentor = None
        if row[f"{_MENTOR}mentor_id"] is not None:
            mentor = _pool_mentor({c: row[f"{_MENTOR}{c}"] for c in _MENTOR_COLUMNS})
        return _pool_mentee(row), mentor, frozenset({(mentee_id, mentor_id)} if row["declined"] else ())

    async def waiting_mentees(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentee]:
        rows = await self.con.fetch(
            "SELECT * FROM pool_mentees WHERE tenant = $1 AND office = ANY($2::text[]) AND status = 'waiting' "
            f"AND sector IS NOT NULL ORDER BY mentee_id{_locking(lock)}",
            tenant.value,
            list(offices),
        )
        return [_pool_mentee(r) for r in rows]

    async def available_mentors(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentor]:
        rows = await self.con.fetch(
            f"SELECT * FROM pool_mentors WHERE {_AVAILABLE} ORDER BY mentor_id{_locking(lock)}",
            tenant.value,
            list(offices),
        )
        return [_pool_mentor(r) for r in rows]

    async def available_mentors_for(
        self, tenant: Tenant, offices: Sequence[str], mentee_id: uuid.UUID
    ) -> tuple[list[PoolMentor], Declined]:
        rows = await self.con.fetch(
            "SELECT *, EXISTS (SELECT FROM declined_pairs d WHERE d.mentee_id = $3 AND d.mentor_id = m.mentor_id) "
            f"AS declined FROM pool_mentors m WHERE {_AVAILABLE} ORDER BY mentor_id",
            tenant.value,
            list(offices),
            mentee_id,
        )
        declined = frozenset((mentee_id, r["mentor_id"]) for r in rows if r["declined"])
        return [_pool_mentor(r) for r in rows], declined

    async def declined_among(self, mentee_ids: Sequence[uuid.UUID]) -> Declined:
        rows = await self.con.fetch(
            "SELECT mentee_id, mentor_id FROM declined_pairs WHERE mentee_id = ANY($1::uuid[])", list(mentee_ids)
        )
        return frozenset((r["mentee_id"], r["mentor_id"]) for r in rows)

    async def hold(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        await self.con.execute(_HOLD, mentee_id, mentor_id)

    async def release(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID, declined: bool) -> None:
        await self.con.execute(_RELEASE, mentee_id, mentor_id, declined)

    async def form_duo(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        await self.con.execute(_FORM_DUO, mentee_id, mentor_id)
