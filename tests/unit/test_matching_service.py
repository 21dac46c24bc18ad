"""Matching's handlers in memory: proposals, rounds, the first meeting, answers and expiry, with the pool and the
proposals' list kept in step, and no I/O."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from services.matching import service
from services.matching.adapters.memory import InMemoryPool, InMemoryProposals
from services.matching.domain.commands import (
    AnswerProposal,
    HoldFirstMeeting,
    ProposeMatch,
    RunRound,
    ScheduleFirstMeeting,
)
from services.matching.domain.config import CURRENT
from services.matching.domain.errors import NotMatchable, ProposalClosed, TooEarly
from services.matching.service import MatchingUnit
from shared.commanding.caller import Caller
from shared.commanding.errors import CommandRefused, NotFound
from shared.eventstore.memory import InMemoryEventStore
from shared.tenancy import Tenant
from tests.callers import coordinator
from tests.unit.test_matching_scoring import mentee, mentor

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


caller = partial(coordinator, now=NOW)


@dataclass
class Matching:
    """Matching's handlers on an in-memory store, pool and proposals' list."""

    store: InMemoryEventStore = field(default_factory=InMemoryEventStore)
    pool: InMemoryPool = field(default_factory=InMemoryPool)
    proposals: InMemoryProposals = field(default_factory=InMemoryProposals)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[MatchingUnit]:
        async with self.store.transaction() as tx:
            yield MatchingUnit(tx, self.store, self.pool, self.proposals)

    async def run(self, command: Any, who: Caller | None = None) -> Any:
        async with self.unit() as unit:
            return await service.execute(unit, command, who or caller())

    async def types(self, proposal_id: uuid.UUID) -> list[str]:
        return [e.event_type for e in await self.store.read_stream(f"proposal-{proposal_id}")]


def with_pair(mentees: int = 1, mentors: int = 1, capacity: int = 1) -> Matching:
    """Waiting mentees 1.. and trained mentors 1001.. at be-gent, every pair a good fit."""
    matching = Matching()
    for n in range(1, mentees + 1):
        matching.pool.add_mentee(Tenant.BE, mentee(n))
    for n in range(1001, 1001 + mentors):
        matching.pool.add_mentor(Tenant.BE, mentor(n), capacity=capacity)
    return matching


def propose(mentee_n: int = 1, mentor_n: int = 1001) -> ProposeMatch:
    return ProposeMatch(uuid.uuid4(), uuid.UUID(int=mentee_n), uuid.UUID(int=mentor_n))


async def proposed_and_met(matching: Matching) -> uuid.UUID:
    state = await matching.run(propose())
    await matching.run(ScheduleFirstMeeting(state.proposal_id, TODAY))
    return state.proposal_id


# --- ProposeMatch ----------------------------------------------------------------------------------------


async def test_a_proposal_is_recorded_and_holds_both_people():
    matching, cmd = with_pair(), propose()
    state = await matching.run(cmd)
    assert state.status == "open" and state.version == 1 and state.office == "be-gent"
    assert state.expires_on == TODAY + timedelta(days=CURRENT.proposal_expiry_days)
    assert await matching.types(cmd.proposal_id) == ["MatchProposed"]
    assert matching.pool.status_of(cmd.mentee_id) == "proposed"
    assert matching.pool.mentors[cmd.mentor_id].open_proposals == 1
    assert matching.proposals.rows[cmd.proposal_id] == state


@pytest.mark.parametrize(
    "who, missing",
    [(caller(tenant=Tenant.FR), "mentee"), (caller(offices={"be-antwerpen"}), "mentee")],
)
async def test_a_mentee_of_another_branch_or_office_is_not_found(who: Caller, missing: str):
    matching, cmd = with_pair(), propose()
    with pytest.raises(NotFound, match=missing):
        await matching.run(cmd, who)
    assert await matching.types(cmd.proposal_id) == [] and matching.proposals.rows == {}
    assert matching.pool.status_of(cmd.mentee_id) == "waiting"


async def test_an_unknown_mentor_is_not_found_and_nothing_changes():
    matching = with_pair()
    with pytest.raises(NotFound, match="mentor"):
        await matching.run(propose(mentor_n=9999))
    assert matching.pool.status_of(uuid.UUID(int=1)) == "waiting" and matching.proposals.rows == {}


async def test_a_mentee_not_waiting_or_a_mentor_not_trained_cannot_be_proposed():
    matching = with_pair(mentors=2)
    matching.pool.add_mentee(Tenant.BE, mentee(2), status="registered")
    matching.pool.add_mentor(Tenant.BE, mentor(1002), trained=False)
    with pytest.raises(NotMatchable) as waiting:
        await matching.run(propose(mentee_n=2))
    assert waiting.value.problems[0].field == "mentee_id" and waiting.value.problems[0].rule == "mentee_waiting"
    with pytest.raises(NotMatchable) as trained:
        await matching.run(propose(mentor_n=1002))
    assert trained.value.problems[0].rule == "mentor_available"
    assert matching.proposals.rows == {}


async def test_a_declined_pair_is_refused_by_a_hard_rule():
    matching = with_pair()
    matching.pool.declined.add((uuid.UUID(int=1), uuid.UUID(int=1001)))
    with pytest.raises(NotMatchable, match="hard rule"):
        await matching.run(propose())
    assert matching.pool.status_of(uuid.UUID(int=1)) == "waiting"


# --- RunRound --------------------------------------------------------------------------------------------


async def test_a_round_proposes_the_best_pairs_and_names_whom_it_could_not_match():
    matching = with_pair(mentees=3, mentors=2)
    outcome = await matching.run(RunRound(uuid.uuid4(), office="be-gent"))
    assert len(outcome.proposals) == 2 and len(outcome.unmatched_mentees) == 1
    assert outcome.config_version == CURRENT.version
    for state in outcome.proposals:
        assert state.round_id == outcome.round_id and matching.proposals.rows[state.proposal_id] == state
        assert matching.pool.status_of(state.mentee_id) == "proposed"
    assert {m.open_proposals for m in matching.pool.mentors.values()} == {1}
    [left] = outcome.unmatched_mentees
    assert matching.pool.status_of(left) == "waiting"


async def test_a_round_leaves_other_offices_and_branches_alone():
    matching = with_pair()
    matching.pool.add_mentee(Tenant.BE, mentee(2, office="be-antwerpen"))
    matching.pool.add_mentee(Tenant.FR, mentee(3))
    outcome = await matching.run(RunRound(uuid.uuid4(), office="be-gent"))
    assert [p.mentee_id for p in outcome.proposals] == [uuid.UUID(int=1)] and outcome.unmatched_mentees == []


async def test_a_round_first_expires_overdue_proposals_and_matches_the_freed_people_again():
    matching = with_pair()
    first = await matching.run(propose())
    later = caller(now=NOW + timedelta(days=CURRENT.proposal_expiry_days + 1))
    outcome = await matching.run(RunRound(uuid.uuid4(), office="be-gent"), later)
    assert matching.proposals.rows[first.proposal_id].status == "expired"
    assert [(p.mentee_id, p.mentor_id) for p in outcome.proposals] == [(first.mentee_id, first.mentor_id)]


# --- ScheduleFirstMeeting and AnswerProposal -------------------------------------------------------------


async def test_the_first_meeting_is_recorded_and_listed():
    matching = with_pair()
    proposal_id = await proposed_and_met(matching)
    assert matching.proposals.rows[proposal_id].meeting_on == TODAY
    assert await matching.types(proposal_id) == ["MatchProposed", "FirstMeetingScheduled"]


async def test_a_meeting_before_the_proposal_is_refused_naming_the_field():
    matching = with_pair()
    state = await matching.run(propose())
    with pytest.raises(CommandRefused) as refused:
        await matching.run(ScheduleFirstMeeting(state.proposal_id, date(2020, 1, 1)))
    assert refused.value.problems[0].field == "meeting_on"
    assert matching.proposals.rows[state.proposal_id].meeting_on is None


async def test_an_answer_before_the_meeting_is_too_early():
    matching = with_pair()
    state = await matching.run(propose())
    with pytest.raises(TooEarly):
        await matching.run(AnswerProposal(state.proposal_id, "mentee", True))


async def test_two_yeses_form_the_duo_and_the_pool_counts_it():
    matching = with_pair()
    proposal_id = await proposed_and_met(matching)
    await matching.run(AnswerProposal(proposal_id, "mentee", True))
    formed = await matching.run(AnswerProposal(proposal_id, "mentor", True))
    assert formed.status == "formed" and formed.duo_id == uuid.uuid5(proposal_id, "duo")
    assert (await matching.types(proposal_id))[-2:] == ["MatchAccepted", "DuoFormed"]
    [duo] = (await matching.store.read_stream(f"proposal-{proposal_id}"))[-1:]
    assert duo.data["job_target_sector"] == "Q" and duo.data["days_to_match"] == 30
    row = matching.pool.mentors[uuid.UUID(int=1001)]
    assert (row.open_proposals, row.active_duos) == (0, 1)
    assert matching.pool.status_of(uuid.UUID(int=1)) == "in_duo"
    assert matching.proposals.rows[proposal_id] == formed


async def test_a_no_releases_both_and_the_pair_is_never_proposed_again():
    matching = with_pair()
    proposal_id = await proposed_and_met(matching)
    declined = await matching.run(AnswerProposal(proposal_id, "mentor", False, "availability"))
    assert declined.status == "declined"
    assert matching.pool.status_of(uuid.UUID(int=1)) == "waiting"
    assert matching.pool.mentors[uuid.UUID(int=1001)].open_proposals == 0
    assert (uuid.UUID(int=1), uuid.UUID(int=1001)) in matching.pool.declined
    with pytest.raises(ProposalClosed):
        await matching.run(AnswerProposal(proposal_id, "mentee", True))


async def test_the_meeting_and_both_yeses_at_once_form_the_duo_as_three_commands_would():
    matching = with_pair()
    state = await matching.run(propose())
    yes = (AnswerProposal(state.proposal_id, "mentee", True), AnswerProposal(state.proposal_id, "mentor", True))
    formed = await matching.run(HoldFirstMeeting(state.proposal_id, TODAY, yes))
    assert formed.status == "formed" and formed.meeting_on == TODAY
    assert await matching.types(state.proposal_id) == [
        "MatchProposed",
        "FirstMeetingScheduled",
        "MatchAccepted",
        "MatchAccepted",
        "DuoFormed",
    ]
    assert matching.pool.status_of(uuid.UUID(int=1)) == "in_duo"


async def test_a_proposal_of_another_branch_is_not_found():
    matching = with_pair()
    proposal_id = await proposed_and_met(matching)
    with pytest.raises(NotFound):
        await matching.run(AnswerProposal(proposal_id, "mentee", True), caller(tenant=Tenant.FR))


# --- ExpireProposals, and the periodic use case ----------------------------------------------------------


async def test_overdue_proposals_expire_in_every_branch_and_both_return_to_the_pool():
    matching = with_pair()
    state = await matching.run(propose())
    units = matching.unit  # a unit of work in a transaction of its own, as app.py gives the periodic expiry
    on_the_last_day = NOW + timedelta(days=CURRENT.proposal_expiry_days)
    assert await service.expire_overdue_proposals(units, lambda: on_the_last_day) == 0
    assert await service.expire_overdue_proposals(units, lambda: on_the_last_day + timedelta(days=1)) == 1
    assert matching.proposals.rows[state.proposal_id].status == "expired"
    assert (await matching.types(state.proposal_id))[-1] == "MatchExpired"
    assert matching.pool.status_of(state.mentee_id) == "waiting"
    assert matching.pool.mentors[state.mentor_id].open_proposals == 0
    assert (state.mentee_id, state.mentor_id) not in matching.pool.declined
