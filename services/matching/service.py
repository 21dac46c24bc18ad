"""Matching's command handlers: suggestions, proposals (one, or a whole round), the first meeting, the answers.

Every handler runs in one transaction. A proposal takes its mentee's and mentor's pool rows
under a lock (mentees before mentors, each in id order, so two handlers never wait on each
other in a circle): two coordinators acting at the same instant are served one after the
other, and the second is told (409) that the person is no longer free.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.matching.adapters import pool, proposals
from services.matching.domain import proposal
from services.matching.domain.commands import (
    AnswerProposal,
    ExpireProposals,
    ProposeMatch,
    RunRound,
    ScheduleFirstMeeting,
)
from services.matching.domain.config import CURRENT, MatchingConfig
from services.matching.domain.errors import NotMatchable
from services.matching.domain.proposal import PROPOSAL, MenteeFacts, ProposalState
from services.matching.domain.rounds import solve_round
from services.matching.domain.scoring import MenteeCandidate, MentorCandidate, PairScore, score
from shared.commanding.caller import Caller
from shared.commanding.errors import NotFound
from shared.commanding.unit import Unit, load_existing, record
from shared.tenancy import Tenant, local_date


def mentee_candidate(row: asyncpg.Record) -> MenteeCandidate:
    """A pool row as the scoring sees a mentee (registered on the branch's local date)."""
    return MenteeCandidate(
        mentee_id=row["mentee_id"],
        office=row["office"],
        sector=row["sector"],
        languages=frozenset(row["languages"]),
        day_parts=frozenset(row["day_parts"]),
        registered_on=local_date(Tenant(row["tenant"]), row["registered_at"]),
    )


def mentor_candidate(row: asyncpg.Record) -> MentorCandidate:
    """A pool row as the scoring sees a mentor."""
    return MentorCandidate(
        mentor_id=row["mentor_id"],
        office=row["office"],
        experience=pool.experience_of(row),
        languages=frozenset(row["languages"]),
        day_parts=frozenset(row["day_parts"]),
        free_capacity=max(0, row["capacity"] - row["open_proposals"] - row["active_duos"]),
    )


@dataclass(frozen=True)
class RoundOutcome:
    """What a round proposed, whom it could not match, and under which configuration."""

    round_id: uuid.UUID
    proposals: list[ProposalState]
    unmatched_mentees: list[uuid.UUID]
    config_version: str


async def _propose(
    unit: Unit,
    caller: Caller,
    proposal_id: uuid.UUID,
    mentee_row,
    mentor_row,
    pair: PairScore,
    round_id: uuid.UUID | None,
    config: MatchingConfig,
) -> ProposalState:
    event = proposal.propose(
        proposal_id,
        mentee_row["mentee_id"],
        mentor_row["mentor_id"],
        round_id,
        pair.total,
        pair.terms,
        config.version,
        caller.today,
        config.proposal_expiry_days,
    )
    state = await record(unit, PROPOSAL, PROPOSAL.initial, proposal_id, mentee_row["office"], [event], caller)
    await proposals.hold_for_proposal(unit.tx, mentee_row["mentee_id"], mentor_row["mentor_id"])
    await proposals.save_proposal(unit.tx, state)
    return state


async def propose_match(
    unit: Unit, cmd: ProposeMatch, caller: Caller, config: MatchingConfig = CURRENT
) -> ProposalState:
    """Propose one pair (a coordinator's pick from the suggestions); 409 if either is no longer free."""
    mentee_row = await pool.mentee(unit.tx, caller.tenant, cmd.mentee_id, lock=True)
    if mentee_row is None or not caller.may_reach(mentee_row["office"]):
        raise NotFound("mentee")
    mentor_row = await pool.mentor(unit.tx, caller.tenant, cmd.mentor_id, lock=True)
    if mentor_row is None:
        raise NotFound("mentor")
    if mentee_row["status"] != "waiting":
        raise NotMatchable("mentee_waiting", f"the mentee is {mentee_row['status']}, not waiting", "mentee_id")
    if not mentor_row["trained"] or not mentor_row["active"]:
        raise NotMatchable("mentor_available", "the mentor has not completed the training or has left")
    declined = await pool.declined_among(unit.tx, [cmd.mentee_id])
    pair = score(mentee_candidate(mentee_row), mentor_candidate(mentor_row), config, caller.today, declined)
    if not pair.feasible:
        raise NotMatchable(pair.refusals[0], "a hard rule is broken: " + ", ".join(pair.refusals))
    return await _propose(unit, caller, cmd.proposal_id, mentee_row, mentor_row, pair, cmd.round_id, config)


async def run_round(unit: Unit, cmd: RunRound, caller: Caller, config: MatchingConfig = CURRENT) -> RoundOutcome:
    """Match the whole waiting pool of an office (or a province) at once, with the best total score."""
    await expire_overdue(unit, ExpireProposals(), caller)
    offices = [o for o in pool.offices_in(caller.tenant, cmd.office, cmd.province) if caller.may_reach(o)]
    # Locked in the one order every handler uses: mentees, then mentors, each by id.
    mentee_rows = await pool.waiting_mentees(unit.tx, caller.tenant, offices, lock=True)
    mentor_rows = await pool.available_mentors(unit.tx, caller.tenant, offices, lock=True)
    declined = await pool.declined_among(unit.tx, [r["mentee_id"] for r in mentee_rows])
    result = solve_round(
        [mentee_candidate(r) for r in mentee_rows],
        [mentor_candidate(r) for r in mentor_rows],
        config,
        caller.today,
        declined,
    )
    mentees = {r["mentee_id"]: r for r in mentee_rows}
    mentors = {r["mentor_id"]: r for r in mentor_rows}
    made = []
    for pairing in result.pairings:
        proposal_id = uuid.uuid5(cmd.round_id, f"{pairing.mentee_id}/{pairing.mentor_id}")
        made.append(
            await _propose(
                unit,
                caller,
                proposal_id,
                mentees[pairing.mentee_id],
                mentors[pairing.mentor_id],
                pairing.score,
                cmd.round_id,
                config,
            )
        )
    return RoundOutcome(cmd.round_id, made, list(result.unmatched_mentees), config.version)


async def schedule_first_meeting(unit: Unit, cmd: ScheduleFirstMeeting, caller: Caller) -> ProposalState:
    """Set the day of the first meeting, where both decide."""
    state = await load_existing(unit, PROPOSAL, cmd.proposal_id, caller)
    state = await record(
        unit,
        PROPOSAL,
        state,
        cmd.proposal_id,
        _office(state),
        proposal.schedule_first_meeting(state, cmd.meeting_on),
        caller,
    )
    await proposals.save_proposal(unit.tx, state)
    return state


async def answer_proposal(unit: Unit, cmd: AnswerProposal, caller: Caller) -> ProposalState:
    """One side's answer after the first meeting: the second yes forms the duo, a no releases both."""
    state = await load_existing(unit, PROPOSAL, cmd.proposal_id, caller)
    assert state.mentee_id is not None and state.mentor_id is not None
    mentee_row = await pool.mentee(unit.tx, caller.tenant, state.mentee_id, lock=True)
    await pool.mentor(unit.tx, caller.tenant, state.mentor_id, lock=True)
    assert mentee_row is not None
    facts = MenteeFacts(local_date(caller.tenant, mentee_row["registered_at"]), mentee_row["sector"])
    events = proposal.answer(
        state, cmd.side, cmd.accept, cmd.reason, caller.today, uuid.uuid5(cmd.proposal_id, "duo"), facts
    )
    state = await record(unit, PROPOSAL, state, cmd.proposal_id, _office(state), events, caller)
    assert state.mentee_id is not None and state.mentor_id is not None
    if state.status == "declined":
        await proposals.release(unit.tx, state.mentee_id, state.mentor_id, declined=True)
    elif state.status == "formed":
        await proposals.form_duo(unit.tx, state.mentee_id, state.mentor_id)
    await proposals.save_proposal(unit.tx, state)
    return state


async def expire_overdue(unit: Unit, cmd: ExpireProposals, caller: Caller) -> list[ProposalState]:
    """Close the branch's open proposals whose answer is overdue; both people return to the pool."""
    expired = []
    for proposal_id in await proposals.overdue(unit.tx, caller.tenant, caller.today):
        state = await load_existing(unit, PROPOSAL, proposal_id, caller.unrestricted())
        events = proposal.expire(state, caller.today)
        if events:
            state = await record(unit, PROPOSAL, state, proposal_id, _office(state), events, caller)
            assert state.mentee_id is not None and state.mentor_id is not None
            await proposals.release(unit.tx, state.mentee_id, state.mentor_id, declined=False)
            await proposals.save_proposal(unit.tx, state)
            expired.append(state)
    return expired


def _office(state: ProposalState) -> str:
    assert state.office is not None
    return state.office


Handler = Callable[[Unit, Any, Caller], Awaitable[Any]]

# Every command matching takes, and the handler that carries it out.
HANDLERS: dict[type, Handler] = {
    ProposeMatch: propose_match,
    RunRound: run_round,
    ScheduleFirstMeeting: schedule_first_meeting,
    AnswerProposal: answer_proposal,
    ExpireProposals: expire_overdue,
}


async def execute(unit: Unit, command: Any, caller: Caller) -> Any:
    """Carry out one command with its handler."""
    return await HANDLERS[type(command)](unit, command, caller)
