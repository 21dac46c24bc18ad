"""Intake's command handlers: load the stream, decide, append (with the read model and personal data) in one transaction.

Registrations here; changes, training and withdrawals in profile_handlers.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.intake import vault
from services.intake.commands import RegisterMentee, RegisterMentor
from services.intake.decisions import (
    decide_mentee_application,
    decide_mentor_registration,
)
from services.intake.eligibility import MENTEE_RULES, MENTOR_RULES
from services.intake.errors import DuplicatePerson, FieldProblem, PersonNotFound
from services.intake.guards import require_office_of_branch
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
from shared.tenancy import Tenant


@dataclass(frozen=True)
class Caller:
    """Who sent the command, for which branch, when, under which correlation id; `expected_version` is If-Match's."""

    actor: str
    tenant: Tenant
    correlation_id: uuid.UUID
    now: datetime  # from the app's clock, the one "today" comes from, so registration and training dates agree
    expected_version: int | None = None

    def metadata(self, office: str) -> EventMetadata:
        """Envelope fields for events about a person of `office`, an office of the caller's branch."""
        return EventMetadata(tenant=self.tenant, office=office, actor=self.actor, correlation_id=self.correlation_id,
                             occurred_at=self.now)


@dataclass(frozen=True)
class Unit:
    """The transaction a command runs in, and the store it appends to."""

    con: asyncpg.Connection
    store: PostgresEventStore


async def append_events(unit: Unit, stream_id: str, version: int, office: str, events: Sequence[DomainEvent],
                        caller: Caller) -> list[EventEnvelope]:
    """Append after `version` (the state the decision saw); WrongExpectedVersion if If-Match named another."""
    if caller.expected_version is not None and caller.expected_version != version:
        raise WrongExpectedVersion(stream_id, caller.expected_version, version)
    if not events:
        return []
    meta = caller.metadata(office)
    return await unit.store.append_in(unit.con, stream_id, version, [NewEvent(e, meta) for e in events])


async def load_mentee(con: asyncpg.Connection, mentee_id: uuid.UUID, tenant: Tenant) -> MenteeState:
    """A mentee of the branch, as now; PersonNotFound if the branch has none with this id."""
    state = mentee_state(await read_stream_in(con, mentee_stream(mentee_id), tenant))
    if state.version == 0:
        raise PersonNotFound("mentee")
    return state


async def load_mentor(con: asyncpg.Connection, mentor_id: uuid.UUID, tenant: Tenant) -> MentorState:
    """A mentor of the branch, as now; PersonNotFound if the branch has none with this id."""
    state = mentor_state(await read_stream_in(con, mentor_stream(mentor_id), tenant))
    if state.version == 0:
        raise PersonNotFound("mentor")
    return state


@dataclass(frozen=True)
class ApplicationOutcome:
    """The registered mentee, or the rules a refused application failed (recorded under its application id)."""

    mentee: MenteeState | None = None
    refused: tuple[FieldProblem, ...] = ()


async def register_mentee(unit: Unit, cmd: RegisterMentee, caller: Caller, today: date) -> ApplicationOutcome:
    """Register an eligible mentee, or record the refused application; a known e-mail is a duplicate."""
    tenant = caller.tenant
    require_office_of_branch(cmd.office, tenant)
    if existing := await vault.find_by_email(unit.con, tenant, cmd.personal.email):
        raise DuplicatePerson(*existing)
    decision = decide_mentee_application(cmd, MENTEE_RULES[tenant], today)
    if decision.problems:
        await append_events(unit, application_stream(cmd.application_id), NO_STREAM, cmd.office, [decision.event], caller)
        return ApplicationOutcome(refused=decision.problems)
    await vault.store_personal_data(unit.con, cmd.mentee_id, "mentee", tenant, vault.mentee_personal_data(cmd))
    state = mentee_state(await append_events(unit, mentee_stream(cmd.mentee_id), NO_STREAM, cmd.office, [decision.event], caller))
    await save_mentee(unit.con, state)
    return ApplicationOutcome(mentee=state)


async def register_mentor(unit: Unit, cmd: RegisterMentor, caller: Caller, today: date) -> MentorState:
    """Register an eligible mentor, in training until all modules are done."""
    tenant = caller.tenant
    require_office_of_branch(cmd.office, tenant)
    if existing := await vault.find_by_email(unit.con, tenant, cmd.personal.email):
        raise DuplicatePerson(*existing)
    event = decide_mentor_registration(cmd, MENTOR_RULES[tenant], today)
    await vault.store_personal_data(unit.con, cmd.mentor_id, "mentor", tenant, vault.mentor_personal_data(cmd))
    state = mentor_state(await append_events(unit, mentor_stream(cmd.mentor_id), NO_STREAM, cmd.office, [event], caller))
    await save_mentor(unit.con, state)
    return state
