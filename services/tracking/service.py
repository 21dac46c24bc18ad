"""Tracking's command handlers: each loads the duo (known from matching's DuoFormed), decides, appends its
events to the duo's stream and keeps the duo's row in step, in one transaction.

A duo tracking does not know, or one at an office the caller may not reach, is a 404. Two
commands on one duo at the same instant are ordered by the stream's version: the loser is
retried on the new state (shared.commanding.http.run_command).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from services.tracking import books_service
from services.tracking.domain import books, duo
from services.tracking.domain.commands import (
    DrawUpActionPlan,
    EndDuo,
    ExtendContract,
    LogMeeting,
    LogMeetings,
    MarkGoalReached,
    RecordDuoSheets,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordJobFound,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordReferralOutcome,
    RecordTrainingStarted,
    ReferMentee,
)
from services.tracking.domain.duo import DUO, DuoFacts, DuoState, Partner
from services.tracking.domain.errors import AlreadyRecorded
from services.tracking.domain.partner import RegisteredPartner, RegisterPartner, register_partner
from shared.commanding.caller import Caller
from shared.commanding.errors import InvalidField, NotFound
from shared.commanding.handlers import Command, Handlers
from shared.commanding.unit import Unit, append, record
from shared.events.envelope import DomainEvent, NewEvent
from shared.eventstore.base import StreamAppend, Tx
from shared.organisations import name_key
from shared.refusals import placed
from shared.tenancy import OFFICES, Tenant


@dataclass(frozen=True)
class KnownDuo:
    """A duo's row: what DuoFormed said, and its state as the last append left it, when the row keeps it."""

    facts: DuoFacts
    state: DuoState | None  # None: the row keeps no state it can read (fold the duo's stream)


class DuoList(Protocol):
    """The duos tracking knows (projected from matching's DuoFormed), one row each, kept in step with each append."""

    async def get(self, tenant: Tenant, duo_id: uuid.UUID) -> KnownDuo | None:
        """The duo's row, if the branch has the duo."""
        ...

    async def get_many(self, tenant: Tenant, duo_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, KnownDuo]:
        """The rows of those of the duos the branch has (one read for a batch's duos)."""
        ...

    async def save(self, state: DuoState) -> None:
        """Keep the duo's row (its state, and once it ended its follow-ups) in step with its folded state, in the
        transaction of the append that led to it: the row's version is then always its stream's."""
        ...

    async def save_many(self, states: Collection[DuoState]) -> None:
        """`save` for several duos at once (one write for a batch's duos)."""
        ...


class PartnerBook(Protocol):
    """The branch's partner organisations (tracking's partner table), written with each registration."""

    async def get(self, tenant: Tenant, partner_id: uuid.UUID) -> Partner | None:
        """A partner of the branch, if it has one with this id."""
        ...

    async def named(self, tenant: Tenant, key: str) -> uuid.UUID | None:
        """The id of the branch's partner whose name has this key (partner.name_key), if any."""
        ...

    async def add(self, tenant: Tenant, partner: RegisteredPartner, key: str, today: date) -> bool:
        """Keep a new partner; False when the branch got one by that name meanwhile (nothing kept)."""
        ...


@dataclass(frozen=True)
class TrackingUnit(Unit[Tx]):
    """Tracking's unit of work: the event store's transaction, and the duos' and partners' rows written in it."""

    duos: DuoList
    partners: PartnerBook


async def load_duo(unit: TrackingUnit[Tx], duo_id: uuid.UUID, caller: Caller) -> DuoState:
    """The duo as it is now: DuoFormed's facts, then tracking's events; NotFound when tracking does not know it
    in the caller's branch, or it is at an office outside the caller's.

    From the duo's row alone when it keeps the state the last append left (one statement, nothing to fold); else
    folded from the duo's stream."""
    return await _duo_of(unit, await unit.duos.get(caller.tenant, duo_id), caller)


async def _duo_of(unit: TrackingUnit[Tx], known: KnownDuo | None, caller: Caller) -> DuoState:
    """The duo its row stands for (None: no row in the caller's branch); NotFound as `load_duo`."""
    if known is None or not caller.may_reach(known.facts.office):
        raise NotFound("duo")
    if known.state is not None:
        return known.state
    history = await unit.store.read_stream_in(unit.tx, DUO.stream(known.facts.duo_id), caller.tenant)
    return DUO.fold(history, DuoState(known.facts))


class OnADuo(Protocol):
    """Every tracking command names its duo."""

    @property
    def duo_id(self) -> uuid.UUID: ...


C = TypeVar("C", bound=OnADuo)
A = TypeVar("A")  # what a command answers
Decision = Callable[[DuoState, C, date], Sequence[DomainEvent]]


def _handler(decide: Decision[C]) -> Callable[[TrackingUnit[Tx], C, Caller], Awaitable[DuoState]]:
    """Load the duo, decide on the branch's today, append, keep the row in step."""

    async def handle(unit: TrackingUnit[Tx], cmd: C, caller: Caller) -> DuoState:
        state = await load_duo(unit, cmd.duo_id, caller)
        events = decide(state, cmd, caller.today)
        state = await record(unit, DUO, state, state.duo_id, state.office, events, caller)
        await unit.duos.save(state)
        return state

    handle.__name__ = decide.__name__
    handle.__doc__ = decide.__doc__
    return handle


log_meeting = _handler(duo.log_meeting)
log_meetings = _handler(duo.log_meetings)
draw_up_action_plan = _handler(duo.draw_up_action_plan)
mark_goal_reached = _handler(duo.mark_goal_reached)
record_job_found = _handler(duo.record_job_found)
record_job_ended = _handler(duo.record_job_ended)
extend_contract = _handler(duo.extend_contract)
record_training_started = _handler(duo.record_training_started)
record_internship_started = _handler(duo.record_internship_started)
record_mentee_survey = _handler(duo.record_mentee_survey)
record_mentor_survey = _handler(duo.record_mentor_survey)
end_duo = _handler(duo.end_duo)
record_follow_up = _handler(duo.record_follow_up)
record_referral_outcome = _handler(duo.record_referral_outcome)


# What a duo's sheet may hold (RecordDuoSheets): the commands of a month and of the end, each decided as its route does.
SHEET_DECISIONS: dict[type[Command[DuoState]], Decision[Any]] = {
    DrawUpActionPlan: duo.draw_up_action_plan,
    LogMeetings: duo.log_meetings,
    RecordJobFound: duo.record_job_found,
    RecordTrainingStarted: duo.record_training_started,
    RecordInternshipStarted: duo.record_internship_started,
    RecordMenteeSurvey: duo.record_mentee_survey,
    RecordMentorSurvey: duo.record_mentor_survey,
    EndDuo: duo.end_duo,
    RecordFollowUp: duo.record_follow_up,
}


async def record_duo_sheets(unit: TrackingUnit[Tx], cmd: RecordDuoSheets, caller: Caller) -> tuple[DuoState, ...]:
    """Each sheet in turn, each step decided as its single command is, on the duo as the steps before left it (the
    same events); a refusal names its place (`sheets.3.end.ended_on`) and the transaction records nothing.

    The point of a batch is its round trips: the duos' rows are read in one statement, every step's events appended
    to their duos' streams in one (each step's part checked against the version its decision saw), and the rows
    written in one, however many duos and steps the batch has (issue 24)."""
    known = await unit.duos.get_many(caller.tenant, {sheet.duo_id for sheet in cmd.sheets})
    states: dict[uuid.UUID, DuoState] = {}
    parts: list[StreamAppend] = []
    for index, sheet in enumerate(cmd.sheets):
        place = f"sheets.{index}"
        if not sheet.steps:
            raise InvalidField(place, "something_to_record", "record at least one thing about the duo")
        with placed(place):
            state = states.get(sheet.duo_id) or await _duo_of(unit, known.get(sheet.duo_id), caller)
        metadata = caller.metadata(state.office)
        for step_place, step in sheet.steps:
            with placed(f"{place}.{step_place}" if step_place else place):
                events = SHEET_DECISIONS[type(step)](state, step, caller.today)
            if events:
                parts.append(
                    StreamAppend(DUO.stream(state.duo_id), state.version, [NewEvent(e, metadata) for e in events])
                )
                state = duo.decided(state, events)
        states[sheet.duo_id] = state
    await unit.store.append_streams_in(unit.tx, parts)
    await unit.duos.save_many(states.values())
    return tuple(states.values())


async def refer_mentee(unit: TrackingUnit[Tx], cmd: ReferMentee, caller: Caller) -> DuoState:
    """A referral of the duo's mentee to a partner of the caller's branch (at any of its offices)."""
    state = await load_duo(unit, cmd.duo_id, caller)
    partner = await unit.partners.get(caller.tenant, cmd.partner_id)
    events = duo.refer_mentee(state, cmd, partner, caller.today)
    state = await record(unit, DUO, state, state.duo_id, state.office, events, caller)
    await unit.duos.save(state)
    return state


async def register_new_partner(unit: TrackingUnit[Tx], cmd: RegisterPartner, caller: Caller) -> RegisteredPartner:
    """A partner of the caller's branch, registered at an office the caller may reach; one per name."""
    if cmd.office not in OFFICES or OFFICES[cmd.office][0] != caller.tenant:
        raise InvalidField("office", "office_of_branch", f"office {cmd.office} is not an office of the caller's branch")
    caller.require_office(cmd.office)
    key = name_key(cmd.name)
    name, events = register_partner(cmd, await unit.partners.named(caller.tenant, key))
    partner = RegisteredPartner(cmd.partner_id, cmd.office, events[0].kind, name)
    if not await unit.partners.add(caller.tenant, partner, key, caller.today):
        raise AlreadyRecorded("name", "partner_once", "the branch already has a partner by this name")
    await append(unit, f"partner-{cmd.partner_id}", 0, cmd.office, events, caller)
    return partner


# Every command tracking takes, and the handler that carries it out (each pair type-checked).
HANDLERS = Handlers[TrackingUnit[Any]](
    LogMeeting.handled_by(log_meeting),
    LogMeetings.handled_by(log_meetings),
    DrawUpActionPlan.handled_by(draw_up_action_plan),
    MarkGoalReached.handled_by(mark_goal_reached),
    RecordJobFound.handled_by(record_job_found),
    RecordJobEnded.handled_by(record_job_ended),
    ExtendContract.handled_by(extend_contract),
    RecordTrainingStarted.handled_by(record_training_started),
    RecordInternshipStarted.handled_by(record_internship_started),
    RecordMenteeSurvey.handled_by(record_mentee_survey),
    RecordMentorSurvey.handled_by(record_mentor_survey),
    EndDuo.handled_by(end_duo),
    RecordFollowUp.handled_by(record_follow_up),
    RecordDuoSheets.handled_by(record_duo_sheets),
    books.RecordMoneyFigure.handled_by(books_service.record_money_figure),
    books.RecordOpeningFigures.handled_by(books_service.record_opening_figures),
    ReferMentee.handled_by(refer_mentee),
    RecordReferralOutcome.handled_by(record_referral_outcome),
    RegisterPartner.handled_by(register_new_partner),
)


async def execute(unit: TrackingUnit[Tx], command: Command[A], caller: Caller) -> A:
    """Carry out one command with its handler."""
    return await HANDLERS.execute(unit, command, caller)
