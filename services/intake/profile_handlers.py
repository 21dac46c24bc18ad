"""Handlers for registered people: profile changes, training modules, withdrawals. Load, decide, append."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.intake import vault
from services.intake.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    RecordTrainingModule,
    Withdraw,
)
from services.intake.eligibility import MENTEE_RULES, MENTOR_RULES
from services.intake.handlers import (
    Caller,
    Unit,
    append_events,
    load_mentee,
    load_mentor,
)
from services.intake.profile_decisions import (
    decide_mentee_change,
    decide_mentee_withdrawal,
    decide_mentor_change,
    decide_mentor_withdrawal,
    decide_training_module,
)
from services.intake.read_model import save_mentee, save_mentor
from services.intake.state import (
    MenteeState,
    MentorState,
    mentee_state,
    mentee_stream,
    mentor_state,
    mentor_stream,
)
from shared.events.envelope import DomainEvent


async def change_mentee(unit: Unit, cmd: ChangeMenteeProfile, caller: Caller) -> MenteeState:
    """Change a mentee's profile; the free-text occupation goes to the personal data."""
    state = await load_mentee(unit.con, cmd.mentee_id, caller.tenant)
    occupation_now = (await vault.read_personal_data(unit.con, cmd.mentee_id, caller.tenant)).get("job_target_occupation")
    events = decide_mentee_change(state, cmd, MENTEE_RULES[state.tenant], occupation_now)
    if events and "job_target_occupation" in events[0].changed_fields:
        await vault.update_personal_data(
            unit.con, cmd.mentee_id, caller.tenant, {"job_target_occupation": cmd.job_target_occupation})
    return await _save_mentee(unit, state, events, caller)


async def withdraw_mentee(unit: Unit, cmd: Withdraw, caller: Caller) -> MenteeState:
    """A mentee leaves the programme."""
    state = await load_mentee(unit.con, cmd.person_id, caller.tenant)
    return await _save_mentee(unit, state, decide_mentee_withdrawal(state, cmd), caller)


async def change_mentor(unit: Unit, cmd: ChangeMentorProfile, caller: Caller) -> MentorState:
    """Change a mentor's profile."""
    state = await load_mentor(unit.con, cmd.mentor_id, caller.tenant)
    return await _save_mentor(unit, state, decide_mentor_change(state, cmd, MENTOR_RULES[state.tenant]), caller)


async def record_training_module(unit: Unit, cmd: RecordTrainingModule, caller: Caller, today: date) -> MentorState:
    """Record a completed training module; the last one makes the mentor ready for matching."""
    state = await load_mentor(unit.con, cmd.mentor_id, caller.tenant)
    return await _save_mentor(unit, state, decide_training_module(state, cmd, today), caller)


async def withdraw_mentor(unit: Unit, cmd: Withdraw, caller: Caller) -> MentorState:
    """A mentor leaves the programme."""
    state = await load_mentor(unit.con, cmd.person_id, caller.tenant)
    return await _save_mentor(unit, state, decide_mentor_withdrawal(state, cmd), caller)


async def _save_mentee(unit: Unit, state: MenteeState, events: Sequence[DomainEvent], caller: Caller) -> MenteeState:
    recorded = await append_events(unit, mentee_stream(state.mentee_id), state.version, state.office, events, caller)
    if recorded:
        state = mentee_state(recorded, state)
        await save_mentee(unit.con, state)
    return state


async def _save_mentor(unit: Unit, state: MentorState, events: Sequence[DomainEvent], caller: Caller) -> MentorState:
    recorded = await append_events(unit, mentor_stream(state.mentor_id), state.version, state.office, events, caller)
    if recorded:
        state = mentor_state(recorded, state)
        await save_mentor(unit.con, state)
    return state
