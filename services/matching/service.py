"""Matching's command handlers: suggestions, proposals (one, or a whole round), the first meeting, the answers.

Every handler runs in one transaction. A proposal takes its mentee's and mentor's pool rows
under a lock (mentees before mentors, each in id order, so two handlers never wait on each
other in a circle): two coordinators acting at the same instant are served one after the
other, and the second is told (409) that the person is no longer free.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

import structlog

from services.matching.domain import proposal
from services.matching.domain.commands import (
    AnswerProposal,
    ExpireProposals,
    HoldFirstMeeting,
    ProposeMatch,
    RoundOutcome,
    RunRound,
    ScheduleFirstMeeting,
)
from services.matching.domain.config import CURRENT, MatchingConfig
from services.matching.domain.errors import NotMatchable
from services.matching.domain.offices import offices_in
from services.matching.domain.proposal import PROPOSAL, MenteeFacts, ProposalState
from services.matching.domain.rounds import solve_round
from services.matching.domain.scoring import Declined, MenteeCandidate, MentorCandidate, PairScore, score
from shared.clock import Clock
from shared.commanding.caller import Caller
from shared.commanding.errors import NotFound
from shared.commanding.handlers import Command, Handlers
from shared.commanding.unit import Unit, load_existing, record
from shared.eventstore.base import Tx
from shared.tenancy import Tenant

log = structlog.get_logger("matching")
A = TypeVar("A")


@dataclass(frozen=True)
class PoolMentee:
    """A mentee of the candidate pool: as the scoring sees them, and where they stand."""

    candidate: MenteeCandidate
    status: str  # registered, waiting, proposed, in_duo, gone


@dataclass(frozen=True)
class PoolMentor:
    """A mentor of the candidate pool: as the scoring sees them, and whether they may be proposed."""

    candidate: MentorCandidate
    trained: bool
    active: bool


class CandidatePool(Protocol):
    """The pool projected from intake's and tracking's events, and the bookkeeping each proposal implies.

    `lock=True` holds the rows until the transaction ends; every handler locks mentees before mentors,
    each in id order, so two handlers never wait on each other in a circle."""

    async def mentee(self, tenant: Tenant, mentee_id: uuid.UUID, lock: bool = False) -> PoolMentee | None: ...

    async def mentor(self, tenant: Tenant, mentor_id: uuid.UUID, lock: bool = False) -> PoolMentor | None: ...

    async def pair(
        self, tenant: Tenant, mentee_id: uuid.UUID, mentor_id: uuid.UUID
    ) -> tuple[PoolMentee | None, PoolMentor | None, Declined]:
        """A mentee and a mentor, both locked (the mentee first), and whether they declined each other (the pair in
        the set if so); no mentor is looked for when the mentee is not found."""
        ...

    async def waiting_mentees(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentee]:
        """Mentees waiting for a mentor at these offices (with a sector), by id."""
        ...

    async def available_mentors(self, tenant: Tenant, offices: Sequence[str], lock: bool = False) -> list[PoolMentor]:
        """Trained, active mentors with free capacity at these offices, by id."""
        ...

    async def available_mentors_for(
        self, tenant: Tenant, offices: Sequence[str], mentee_id: uuid.UUID
    ) -> tuple[list[PoolMentor], Declined]:
        """`available_mentors`, unlocked, and which of them declined the mentee: what the mentee's suggestions need."""
        ...

    async def declined_among(self, mentee_ids: Sequence[uuid.UUID]) -> Declined:
        """The declined (mentee, mentor) pairs of these mentees: never proposed again."""
        ...

    async def hold(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        """The mentee is proposed; the mentor has one more open proposal."""
        ...

    async def release(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID, declined: bool) -> None:
        """A declined or expired proposal: both return to the pool; a declined pair is remembered."""
        ...

    async def form_duo(self, mentee_id: uuid.UUID, mentor_id: uuid.UUID) -> None:
        """The mentee leaves the waiting pool; the mentor's open proposal becomes an active duo."""
        ...


class ProposalList(Protocol):
    """The read model of proposals: one row per proposal, written with each append."""

    async def save(self, state: ProposalState) -> None: ...

    async def overdue(self, tenant: Tenant, today: date) -> list[uuid.UUID]:
        """Open proposals of the branch whose answer day has passed, oldest answer day first."""
        ...


@dataclass(frozen=True)
class MatchingUnit(Unit[Tx]):
    """Matching's unit of work: the event store's transaction, and the pool and proposals written in it."""

    pool: CandidatePool
    proposals: ProposalList


async def _propose(
    unit: MatchingUnit[Tx],
    caller: Caller,
    proposal_id: uuid.UUID,
    mentee: MenteeCandidate,
    mentor: MentorCandidate,
    pair: PairScore,
    round_id: uuid.UUID | None,
    config: MatchingConfig,
) -> ProposalState:
    event = proposal.propose(
        proposal_id,
        mentee.mentee_id,
        mentor.mentor_id,
        round_id,
        pair.total,
        pair.terms,
        config.version,
        caller.today,
        config.proposal_expiry_days,
    )
    state = await record(unit, PROPOSAL, PROPOSAL.initial, proposal_id, mentee.office, [event], caller)
    await unit.pool.hold(mentee.mentee_id, mentor.mentor_id)
    await unit.proposals.save(state)
    return state


async def propose_match(
    unit: MatchingUnit[Tx], cmd: ProposeMatch, caller: Caller, config: MatchingConfig = CURRENT
) -> ProposalState:
    """Propose one pair (a coordinator's pick from the suggestions); 409 if either is no longer free."""
    mentee, mentor, declined = await unit.pool.pair(caller.tenant, cmd.mentee_id, cmd.mentor_id)
    if mentee is None or not caller.may_reach(mentee.candidate.office):
        raise NotFound("mentee")
    if mentor is None:
        raise NotFound("mentor")
    if mentee.status != "waiting":
        raise NotMatchable("mentee_waiting", f"the mentee is {mentee.status}, not waiting", "mentee_id")
    if not mentor.trained or not mentor.active:
        raise NotMatchable("mentor_available", "the mentor has not completed the training or has left")
    pair = score(mentee.candidate, mentor.candidate, config, caller.today, declined)
    if not pair.feasible:
        raise NotMatchable(pair.refusals[0], "a hard rule is broken: " + ", ".join(pair.refusals))
    return await _propose(unit, caller, cmd.proposal_id, mentee.candidate, mentor.candidate, pair, cmd.round_id, config)


async def run_round(
    unit: MatchingUnit[Tx], cmd: RunRound, caller: Caller, config: MatchingConfig = CURRENT
) -> RoundOutcome:
    """Match the whole waiting pool of an office (or a province) at once, with the best total score."""
    await expire_overdue(unit, ExpireProposals(), caller)
    offices = [o for o in offices_in(caller.tenant, cmd.office, cmd.province) if caller.may_reach(o)]
    # Locked in the one order every handler uses: mentees, then mentors, each by id.
    waiting = [m.candidate for m in await unit.pool.waiting_mentees(caller.tenant, offices, lock=True)]
    available = [m.candidate for m in await unit.pool.available_mentors(caller.tenant, offices, lock=True)]
    declined = await unit.pool.declined_among([m.mentee_id for m in waiting])
    result = solve_round(waiting, available, config, caller.today, declined)
    mentees = {m.mentee_id: m for m in waiting}
    mentors = {m.mentor_id: m for m in available}
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


async def schedule_first_meeting(unit: MatchingUnit[Tx], cmd: ScheduleFirstMeeting, caller: Caller) -> ProposalState:
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
    await unit.proposals.save(state)
    return state


async def answer_proposal(unit: MatchingUnit[Tx], cmd: AnswerProposal, caller: Caller) -> ProposalState:
    """One side's answer after the first meeting: the second yes forms the duo, a no releases both."""
    state = await load_existing(unit, PROPOSAL, cmd.proposal_id, caller)
    assert state.mentee_id is not None and state.mentor_id is not None
    mentee, _, _ = await unit.pool.pair(caller.tenant, state.mentee_id, state.mentor_id)  # both locked
    assert mentee is not None
    facts = MenteeFacts(mentee.candidate.registered_on, mentee.candidate.sector)
    events = proposal.answer(
        state, cmd.side, cmd.accept, cmd.reason, caller.today, uuid.uuid5(cmd.proposal_id, "duo"), facts
    )
    state = await record(unit, PROPOSAL, state, cmd.proposal_id, _office(state), events, caller)
    assert state.mentee_id is not None and state.mentor_id is not None
    if state.status == "declined":
        await unit.pool.release(state.mentee_id, state.mentor_id, declined=True)
    elif state.status == "formed":
        await unit.pool.form_duo(state.mentee_id, state.mentor_id)
    await unit.proposals.save(state)
    return state


async def hold_first_meeting(unit: MatchingUnit[Tx], cmd: HoldFirstMeeting, caller: Caller) -> ProposalState:
    """The first meeting and the answers given at it, in one transaction: all or none. One request instead of
    three (docs/matching.md), with the events of three."""
    state = await schedule_first_meeting(unit, ScheduleFirstMeeting(cmd.proposal_id, cmd.meeting_on), caller)
    for answer in cmd.answers:
        state = await answer_proposal(unit, answer, caller)
    return state


async def expire_overdue(unit: MatchingUnit[Tx], cmd: ExpireProposals, caller: Caller) -> list[ProposalState]:
    """Close the branch's open proposals whose answer is overdue; both people return to the pool."""
    expired = []
    for proposal_id in await unit.proposals.overdue(caller.tenant, caller.today):
        state = await load_existing(unit, PROPOSAL, proposal_id, caller.unrestricted())
        events = proposal.expire(state, caller.today)
        if events:
            state = await record(unit, PROPOSAL, state, proposal_id, _office(state), events, caller)
            assert state.mentee_id is not None and state.mentor_id is not None
            await unit.pool.release(state.mentee_id, state.mentor_id, declined=False)
            await unit.proposals.save(state)
            expired.append(state)
    return expired


def _office(state: ProposalState) -> str:
    assert state.office is not None
    return state.office


# Every command matching takes, and the handler that carries it out (each pair type-checked).
HANDLERS = Handlers[MatchingUnit[Any]](
    ProposeMatch.handled_by(propose_match),
    RunRound.handled_by(run_round),
    ScheduleFirstMeeting.handled_by(schedule_first_meeting),
    AnswerProposal.handled_by(answer_proposal),
    HoldFirstMeeting.handled_by(hold_first_meeting),
    ExpireProposals.handled_by(expire_overdue),
)


async def execute(unit: MatchingUnit[Tx], command: Command[A], caller: Caller) -> A:
    """Carry out one command with its handler; the answer is of the type the command declares."""
    return await HANDLERS.execute(unit, command, caller)


# A unit of work in a transaction of its own, committed when the block ends.
Units = Callable[[], AbstractAsyncContextManager[MatchingUnit[Any]]]


async def expire_overdue_proposals(units: Units, clock: Clock) -> int:
    """Expire every branch's overdue proposals once, a transaction per branch; both people of each return to
    the pool."""
    expired = 0
    for tenant in Tenant:
        caller = Caller("matching-expiry", tenant, uuid.uuid4(), clock())
        async with units() as unit:
            closed = await execute(unit, ExpireProposals(), caller)
        expired += len(closed)
    return expired


async def expire_periodically(units: Units, clock: Clock, interval_s: float) -> None:
    """The periodic expiry, until cancelled: a failure is logged (its type only) and tried again next time."""
    while True:
        try:
            if expired := await expire_overdue_proposals(units, clock):
                log.info("proposals expired", count=expired)
        except Exception as err:
            log.warning("expiring proposals failed", error=type(err).__name__)
        await asyncio.sleep(interval_s)
