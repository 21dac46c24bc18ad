"""Intake's command handlers: load the stream, decide, append (with the read model and personal data) in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from services.intake import vault
from services.intake.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    RecordTrainingModule,
    RegisterMentee,
    RegisterMentor,
    Withdraw,
)
from services.intake.decisions import (
    decide_mentee_application,
    decide_mentee_change,
    decide_mentee_withdrawal,
    decide_mentor_change,
    decide_mentor_registration,
    decide_mentor_withdrawal,
    decide_training_module,
)
from services.intake.eligibility import MENTEE_RULES, MENTOR_RULES
from services.intake.errors import DuplicatePerson, FieldProblem, PersonNotFound
from services.intake.read_model import save_mentee, save_mentor
from services.intake.state import (
    MenteeState,
    MentorState,
    application_stream,
    mentee_state,
    mentee_stream,
    mentor_state,
    mentor_stream,
)
from services.intake.streams import read_stream_in
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM, WrongExpectedVersion
from shared.eventstore.postgres import PostgresEventStore
from shared.tenancy import tenant_of_office


@dataclass(frozen=True)
class Caller:
    """Who sent the command and under which correlation id; `expected_version` comes from If-Match."""

    actor: str
    correlation_id: uuid.UUID
    expected_version: int | None = None

    def metadata(self, office: str) -> EventMetadata:
        """Envelope fields for events about a person of `office` (the tenant is the office's)."""
        return EventMetadata(tenant=tenant_of_office(office), office=office, actor=self.actor,
                             correlation_id=self.correlation_id)


@dataclass(frozen=True)
class Unit:
    """The transaction a command runs in, and the store it appends to."""

    con: asyncpg.Connection
    store: PostgresEventStore


async def _append(unit: Unit, stream_id: str, version: int, office: str, events: Sequence[DomainEvent],
                  caller: Caller) -> list[EventEnvelope]:
    if caller.expected_version is not None and caller.expected_version != version:
        raise WrongExpectedVersion(stream_id, caller.expected_version, version)
    if not events:
        return []
    meta = caller.metadata(office)
    return await unit.store.append_in(unit.con, stream_id, version, [NewEvent(e, meta) for e in events])


async def load_mentee(con: asyncpg.Connection, mentee_id: uuid.UUID) -> MenteeState:
    """A mentee's current state; PersonNotFound if there is none."""
    state = mentee_state(await read_stream_in(con, mentee_stream(mentee_id)))
    if state.version == 0:
        raise PersonNotFound("no mentee with this id")
    return state


async def load_mentor(con: asyncpg.Connection, mentor_id: uuid.UUID) -> MentorState:
    """A mentor's current state; PersonNotFound if there is none."""
    state = mentor_state(await read_stream_in(con, mentor_stream(mentor_id)))
    if state.version == 0:
        raise PersonNotFound("no mentor with this id")
    return state


@dataclass(frozen=True)
class ApplicationOutcome:
    """The registered mentee, or the rules a refused application failed (recorded under its application id)."""

    mentee: MenteeState | None = None
    refused: tuple[FieldProblem, ...] = ()


async def register_mentee(unit: Unit, cmd: RegisterMentee, caller: Caller, today: date) -> ApplicationOutcome:
    """Register an eligible mentee, or record the refused application; a known e-mail is a duplicate."""
    tenant = tenant_of_office(cmd.office)
    if existing := await vault.find_by_email(unit.con, tenant, cmd.personal.email):
        raise DuplicatePerson(existing)
    decision = decide_mentee_application(cmd, MENTEE_RULES[tenant], today)
    if decision.problems:
        await _append(unit, application_stream(cmd.application_id), NO_STREAM, cmd.office, [decision.event], caller)
        return ApplicationOutcome(refused=decision.problems)
    await vault.store_personal_data(unit.con, cmd.mentee_id, "mentee", tenant, vault.mentee_personal_data(cmd))
    state = mentee_state(await _append(unit, mentee_stream(cmd.mentee_id), NO_STREAM, cmd.office, [decision.event], caller))
    await save_mentee(unit.con, state)
    return ApplicationOutcome(mentee=state)


async def register_mentor(unit: Unit, cmd: RegisterMentor, caller: Caller, today: date) -> MentorState:
    """Register an eligible mentor, in training until all modules are done."""
    tenant = tenant_of_office(cmd.office)
    if existing := await vault.find_by_email(unit.con, tenant, cmd.personal.email):
        raise DuplicatePerson(existing)
    event = decide_mentor_registration(cmd, MENTOR_RULES[tenant], today)
    await vault.store_personal_data(unit.con, cmd.mentor_id, "mentor", tenant, vault.mentor_personal_data(cmd))
    state = mentor_state(await _append(unit, mentor_stream(cmd.mentor_id), NO_STREAM, cmd.office, [event], caller))
    await save_mentor(unit.con, state)
    return state


async def change_mentee(unit: Unit, cmd: ChangeMenteeProfile, caller: Caller) -> MenteeState:
    """Change a mentee's profile; the free-text occupation goes to the personal data."""
    state = await load_mentee(unit.con, cmd.mentee_id)
    occupation_now = (await vault.read_personal_data(unit.con, cmd.mentee_id)).get("job_target_occupation")
    events = decide_mentee_change(state, cmd, MENTEE_RULES[state.tenant], occupation_now)
    if events and "job_target_occupation" in events[0].changed_fields:
        await vault.update_personal_data(unit.con, cmd.mentee_id, {"job_target_occupation": cmd.job_target_occupation})
    return await _save_mentee(unit, state, events, caller)


async def withdraw_mentee(unit: Unit, cmd: Withdraw, caller: Caller) -> MenteeState:
    """A mentee leaves the programme."""
    state = await load_mentee(unit.con, cmd.person_id)
    return await _save_mentee(unit, state, decide_mentee_withdrawal(state, cmd), caller)


async def change_mentor(unit: Unit, cmd: ChangeMentorProfile, caller: Caller) -> MentorState:
    """Change a mentor's profile."""
    state = await load_mentor(unit.con, cmd.mentor_id)
    return await _save_mentor(unit, state, decide_mentor_change(state, cmd, MENTOR_RULES[state.tenant]), caller)


async def record_training_module(unit: Unit, cmd: RecordTrainingModule, caller: Caller) -> MentorState:
    """Record a completed training module; the last one makes the mentor ready for matching."""
    state = await load_mentor(unit.con, cmd.mentor_id)
    return await _save_mentor(unit, state, decide_training_module(state, cmd), caller)


async def withdraw_mentor(unit: Unit, cmd: Withdraw, caller: Caller) -> MentorState:
    """A mentor leaves the programme."""
    state = await load_mentor(unit.con, cmd.person_id)
    return await _save_mentor(unit, state, decide_mentor_withdrawal(state, cmd), caller)


async def _save_mentee(unit: Unit, state: MenteeState, events: Sequence[DomainEvent], caller: Caller) -> MenteeState:
    recorded = await _append(unit, mentee_stream(state.mentee_id), state.version, state.office, events, caller)
    if recorded:
        state = mentee_state(recorded, state)
        await save_mentee(unit.con, state)
    return state


async def _save_mentor(unit: Unit, state: MentorState, events: Sequence[DomainEvent], caller: Caller) -> MentorState:
    recorded = await _append(unit, mentor_stream(state.mentor_id), state.version, state.office, events, caller)
    if recorded:
        state = mentor_state(recorded, state)
        await save_mentor(unit.con, state)
    return state
