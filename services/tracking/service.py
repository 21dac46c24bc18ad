"""Tracking's command handlers: each loads the duo (known from matching's DuoFormed), decides, appends its
events to the duo's stream and keeps the duo's row in step, in one transaction.

A duo tracking does not know, or one at an office the caller may not reach, is a 404. Two
commands on one duo at the same instant are ordered by the stream's version: the loser is
retried on the new state (shared.commanding.http.run_command).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from services.tracking.adapters import duos
from services.tracking.domain import duo
from services.tracking.domain.commands import (
    DrawUpActionPlan,
    EndDuo,
    ExtendContract,
    LogMeeting,
    MarkGoalReached,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordJobFound,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordTrainingStarted,
)
from services.tracking.domain.duo import DUO, DuoState
from shared.commanding.caller import Caller
from shared.commanding.errors import NotFound
from shared.commanding.unit import Unit, record
from shared.events.envelope import DomainEvent


async def load_duo(unit: Unit, duo_id: uuid.UUID, caller: Caller) -> DuoState:
    """The duo as it is now: DuoFormed's facts, then tracking's events; NotFound when tracking does not know it
    in the caller's branch, or it is at an office outside the caller's."""
    row = await duos.duo(unit.tx, caller.tenant, duo_id)
    if row is None or not caller.may_reach(row["office"]):
        raise NotFound("duo")
    history = await unit.store.read_stream_in(unit.tx, DUO.stream(duo_id), caller.tenant)
    return DUO.fold(history, DuoState(duos.facts_of(row)))


Decision = Callable[[DuoState, Any, date], list[Any]]


def _handler(decide: Decision) -> Callable[[Unit, Any, Caller], Awaitable[DuoState]]:
    """Load the duo, decide on the branch's today, append, keep the row in step."""

    async def handle(unit: Unit, cmd: Any, caller: Caller) -> DuoState:
        state = await load_duo(unit, cmd.duo_id, caller)
        events: list[DomainEvent] = decide(state, cmd, caller.today)
        state = await record(unit, DUO, state, state.duo_id, state.office, events, caller)
        await duos.save_duo(unit.tx, state)
        return state

    handle.__name__ = decide.__name__
    handle.__doc__ = decide.__doc__
    return handle


log_meeting = _handler(duo.log_meeting)
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

Handler = Callable[[Unit, Any, Caller], Awaitable[Any]]

# Every command tracking takes, and the handler that carries it out.
HANDLERS: dict[type, Handler] = {
    LogMeeting: log_meeting,
    DrawUpActionPlan: draw_up_action_plan,
    MarkGoalReached: mark_goal_reached,
    RecordJobFound: record_job_found,
    RecordJobEnded: record_job_ended,
    ExtendContract: extend_contract,
    RecordTrainingStarted: record_training_started,
    RecordInternshipStarted: record_internship_started,
    RecordMenteeSurvey: record_mentee_survey,
    RecordMentorSurvey: record_mentor_survey,
    EndDuo: end_duo,
    RecordFollowUp: record_follow_up,
}


async def execute(unit: Unit, command: Any, caller: Caller) -> Any:
    """Carry out one command with its handler."""
    return await HANDLERS[type(command)](unit, command, caller)
