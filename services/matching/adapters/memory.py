"""In-memory stand-ins for the candidate pool and the proposals' list, so matching's handlers are unit-tested
without I/O.

They keep the promises of the PostgreSQL adapters that the handlers rely on: another branch's person is not
found, lists come by id, only waiting mentees with a sector and trained, active mentors with room are offered,
the counters never go below zero. Locks are not needed: one test runs one handler at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from services.matching.domain.proposal import ProposalState
from services.matching.domain.scoring import Declined, MenteeCandidate, MentorCandidate
from services.matching.service import PoolMentee, PoolMentor
from shared.tenancy import Tenant


@dataclass
class MentorRow:
    """A mentor of the pool with the counters their free capacity is computed from."""

    tenant: Tenant
    candidate: MentorCandidate  # free_capacity is recomputed from the counters below
    capacity: int
    open_proposals: int = 0
    active_duos: int = 0
    trained: bool = True
    active: bool = True

    def seen(self) -> PoolMentor:
        free = max(0, self.capacity - self.open_proposals - self.active_duos)
        return PoolMentor(replace(self.candidate, free_capacity=free), self.trained, self.active)


@dataclass
class InMemoryPool:
    """The pool as dicts: mentees (branch, candidate, status), mentors, and the declined pairs."""

    mentees: dict[uuid.UUID, tuple[Tenant, MenteeCandidate, str]] = field(default_factory=dict)
    mentors: dict[uuid.UUID, MentorRow] = field(default_factory=dict)
    declined: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)

    def add_mentee(self, tenant: Tenant, candidate: MenteeCandidate, status: str = "waiting") -> None:
        self.mentees[candidate.mentee_id] = (tenant, candidate, status)

    def add_mentor(
        self, tenant: Tenant, candidate: MentorCandidate, capacity: int = 1, trained: bool = True, active: bool = True
    ) -> None:
        self.mentors[candidate.mentor_id] = MentorRow(tenant, candidate, capacity, trained=trained, active=active)

    def status_of(self, mentee_id: uuid.UUID) -> str:
        return self.mentees[mentee_id][2]

    async def mentee(self, tenant: Tenant, mentee_id: uuid.UUID, lock: bool = False) -> PoolMentee | None:
        owner, candidate, status = self.mentees.get(mentee_id, (None, None, ""))
        return PoolMentee(candidate, status) if owner == tenant and candidate is not None else None

    async def mentor(self, tenant: Tenant, mentor_id: uuid.UUID, lock: bool = False) -> PoolMentor | None:
        row = self.mentors.get(mentor_id)
        return row.seen() if row is not None and row.tenant == tenant else None

    async def pair(
        self, tenant: Tenant, mentee_id: uuid.UUID, mentor_id: uuid.UUID
    ) -> tuple[PoolMentee | None, PoolMentor | None, Declined]:
        mentee = await self.mentee(tenant, mentee_id)
        if mentee is None:
            return None, None, frozenset()
        return mentee, await self.mentor(tenant, mentor_id), frozenset(self.declined & {(mentee_id, mentor_id)})

    async def waiting_mentees(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentee]:
        return [
            PoolMentee(candidate, status)
            for _, (owner, candidate, status) in sorted(self.mentees.items())
            if owner == tenant and candidate.office in offices and status == "waiting" and candidate.sector
        ]

    async def available_mentors(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentor]:
        return [
            row.seen()
            for _, row in sorted(self.mentors.items())
            if row.tenant == tenant
            and row.candidate.office in offices
            and row.trained
            and row.active
            and row.open_proposals + row.active_duos < row.capacity
        ]

    async def available_mentors_for(
        self, tenant: Tenant, offices: Sequence[str], mentee_id: uuid.UUID
    ) -> tuple[list[PoolMentor], Declined]:
        mentors = await self.available_mentors(tenant, offices)
        ids = {(mentee_id, m.candidate.mentor_id) for m in mentors}
        return mentors, frozenset(self.declined & ids)

    async def declined_among(self, mentee_ids: Sequence[uuid.UUID]) -> Declined:
        return frozenset(pair for pair in self.declined if pair[0] in mentee_ids)

    async def hold(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        self._set_status(mentee_id, "proposed")
        self.mentors[mentor_id].open_proposals += 1

    async def release(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID, declined: bool) -> None:
        if self.status_of(mentee_id) == "proposed":
            self._set_status(mentee_id, "waiting")
        row = self.mentors[mentor_id]
        row.open_proposals = max(row.open_proposals - 1, 0)
        if declined:
            self.declined.add((mentee_id, mentor_id))

    async def form_duo(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        self._set_status(mentee_id, "in_duo")
        row = self.mentors[mentor_id]
        row.open_proposals = max(row.open_proposals - 1, 0)
        row.active_duos += 1

    def _set_status(self, mentee_id: uuid.UUID, status: str) -> None:
        tenant, candidate, _ = self.mentees[mentee_id]
        self.mentees[mentee_id] = (tenant, candidate, status)


@dataclass
class InMemoryProposals:
    """The proposals' list as a dict of the latest state of each proposal."""

    rows: dict[uuid.UUID, ProposalState] = field(default_factory=dict)

    async def save(self, state: ProposalState) -> None:
        assert state.proposal_id is not None
        self.rows[state.proposal_id] = state

    async def overdue(self, tenant: Tenant, today: date) -> list[uuid.UUID]:
        late = [
            (s.expires_on, proposal_id)
            for proposal_id, s in self.rows.items()
            if s.tenant == tenant and s.status == "open" and s.expires_on is not None and s.expires_on < today
        ]
        return [proposal_id for _, proposal_id in sorted(late)]
