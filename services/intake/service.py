"""Intake's command handlers: load the record, decide (domain/), append, and keep the vault and the list in step.

Each handler runs inside one unit of work (one database transaction): the events, the
personal data and the `people` row of a command commit together or not at all. The
handlers reach storage only through the ports below, so unit tests run them in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from services.intake.domain import mentee, mentor, target_group
from services.intake.domain.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    EraseMentee,
    EraseMentor,
    MigrationBackground,
    RecordInformationSession,
    RecordIntakeInterview,
    RecordMentorEmployment,
    RecordTargetGroup,
    RecordTrainingModule,
    RecordTrainingModules,
    RegisterMentee,
    RegisterMentor,
    Registration,
    RejoinMentee,
    RejoinMentor,
    WithdrawMentee,
    WithdrawMentor,
    WithdrawTargetGroupConsent,
)
from services.intake.domain.mentee import APPLICATION, MENTEE, ApplicationDecision, MenteeState
from services.intake.domain.mentor import MENTOR, MentorApplicationDecision, MentorState
from services.intake.domain.rules import BranchRules, RuleBook, require_office_of_branch
from shared.commanding.aggregate import Aggregate
from shared.commanding.caller import Caller
from shared.commanding.handlers import Command, Handlers
from shared.commanding.unit import Unit, append, load_existing, record
from shared.events.envelope import DomainEvent
from shared.eventstore.base import NO_STREAM, Tx
from shared.tenancy import Tenant

S = TypeVar("S", MenteeState, MentorState)
A = TypeVar("A")


class PersonalDataVault(Protocol):
    """Where names, contact details and birth dates live, apart from the events (docs/adr/0006)."""

    async def find_by_email(self, tenant: Tenant, email: str) -> tuple[uuid.UUID, str, str | None] | None:
        """Id, kind and status of whoever registered this e-mail in the branch, if anyone."""
        ...

    async def store(self, person_id: uuid.UUID, kind: str, tenant: Tenant, data: dict[str, Any]) -> None:
        """Keep a new person's data; DuplicatePerson if their e-mail is taken in the branch."""
        ...

    async def read(self, person_id: uuid.UUID, tenant: Tenant) -> dict[str, Any]:
        """A person's data, if the person is the branch's; empty otherwise."""
        ...

    async def read_many(self, person_ids: Sequence[uuid.UUID], tenant: Tenant) -> dict[uuid.UUID, dict[str, Any]]:
        """The data of each of these people who is the branch's, by id (for a page of a list)."""
        ...

    async def update(self, person_id: uuid.UUID, tenant: Tenant, changes: dict[str, Any]) -> None:
        """Overwrite some keys of a person's data."""
        ...

    async def erase(self, person_id: uuid.UUID, tenant: Tenant) -> None:
        """Remove every personal value kept about the person: their data (and the key that opens any copy of it
        left on disk), and the stored answers naming them."""
        ...


class PeopleList(Protocol):
    """The read model behind the lists by office: one row per person, written with each append."""

    async def save(self, state: MenteeState | MentorState) -> None:
        """Write the person's row from their folded state."""
        ...


@dataclass(frozen=True)
class IntakeUnit(Unit[Tx]):
    """Intake's unit of work: the event store's transaction, the vault and list written in it, and the
    branches' eligibility rules (every version, loaded from their files at start: adapters/rules_files.py)."""

    vault: PersonalDataVault
    people: PeopleList
    rules: RuleBook

    def rules_for(self, caller: Caller) -> BranchRules:
        """The caller's branch's rules in force on the branch's today: the ones a decision now applies."""
        return self.rules.in_force(caller.tenant, caller.today)


def _rules_at(unit: IntakeUnit[Tx], office: str, caller: Caller) -> BranchRules:
    """The branch's rules for an application at `office`, an office of the caller's branch they may reach."""
    require_office_of_branch(office, caller.tenant)
    caller.require_office(office)
    return unit.rules_for(caller)


async def _register(
    unit: IntakeUnit[Tx],
    cmd: RegisterMentee | RegisterMentor,
    decision: ApplicationDecision | MentorApplicationDecision,
    aggregate: Aggregate[S],
    person_id: uuid.UUID,
    application_id: uuid.UUID,
    caller: Caller,
) -> Registration[S]:
    """The registered person's state, or the rules their application failed (recorded under its id); a known
    e-mail is a duplicate."""
    if decision.problems:
        # Decided before the e-mail is looked up: a refusal must not tell whether the address is known.
        await append(unit, APPLICATION.stream(application_id), NO_STREAM, cmd.office, [decision.event], caller)
        return Registration(refused=decision.problems)
    await unit.vault.store(person_id, aggregate.kind, caller.tenant, cmd.personal_data())  # DuplicatePerson if known
    state = await record(unit, aggregate, aggregate.initial, person_id, cmd.office, [decision.event], caller)
    await unit.people.save(state)
    return Registration(state)


async def register_mentee(unit: IntakeUnit[Tx], cmd: RegisterMentee, caller: Caller) -> Registration[MenteeState]:
    """Register an eligible mentee, or record the refused application; a known e-mail is a duplicate."""
    decision = mentee.decide_application(cmd, _rules_at(unit, cmd.office, caller), caller.today)
    return await _register(unit, cmd, decision, MENTEE, cmd.mentee_id, cmd.application_id, caller)


async def register_mentor(unit: IntakeUnit[Tx], cmd: RegisterMentor, caller: Caller) -> Registration[MentorState]:
    """Register an eligible mentor, in training until all modules are done, or record the refused application."""
    decision = mentor.decide_registration(cmd, _rules_at(unit, cmd.office, caller), caller.today)
    return await _register(unit, cmd, decision, MENTOR, cmd.mentor_id, cmd.application, caller)


async def change_mentee(unit: IntakeUnit[Tx], cmd: ChangeMenteeProfile, caller: Caller) -> MenteeState:
    """Change a mentee's profile; the free-text occupation goes to the personal data."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    occupation_now = (await unit.vault.read(cmd.mentee_id, caller.tenant)).get("job_target_occupation")
    events = mentee.decide_change(state, cmd, unit.rules_for(caller), occupation_now)
    if events and "job_target_occupation" in events[0].changed_fields:
        await unit.vault.update(cmd.mentee_id, caller.tenant, {"job_target_occupation": cmd.job_target_occupation})
    return await _save_mentee(unit, state, events, caller)


async def record_target_group(unit: IntakeUnit[Tx], cmd: RecordTargetGroup, caller: Caller) -> MenteeState:
    """The mentee's target-group facts, with their consent (MenteeTargetGroupRecorded)."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    return await _save_mentee(unit, state, target_group.decide_target_group(state, cmd), caller)


async def withdraw_target_group_consent(
    unit: IntakeUnit[Tx], cmd: WithdrawTargetGroupConsent, caller: Caller
) -> MenteeState:
    """The mentee withdrew their consent: the facts are unknown again (MenteeTargetGroupConsentWithdrawn)."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    return await _save_mentee(unit, state, target_group.decide_consent_withdrawal(state, cmd), caller)


async def withdraw_mentee(unit: IntakeUnit[Tx], cmd: WithdrawMentee, caller: Caller) -> MenteeState:
    """A mentee leaves the programme."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    return await _save_mentee(unit, state, mentee.decide_withdrawal(state, cmd, caller.today), caller)


async def record_information_session(
    unit: IntakeUnit[Tx], cmd: RecordInformationSession, caller: Caller
) -> MenteeState:
    """The mentee attended the information session; with a suitable interview, they become ready for matching."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    return await _save_mentee(unit, state, mentee.decide_information_session(state, cmd, caller.today), caller)


async def record_intake_interview(unit: IntakeUnit[Tx], cmd: RecordIntakeInterview, caller: Caller) -> MenteeState:
    """The intake interview was held; suitable, after the information session, makes the mentee ready."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    return await _save_mentee(unit, state, mentee.decide_intake_interview(state, cmd, caller.today), caller)


def _birth_date(personal: dict[str, Any]) -> date | None:
    return date.fromisoformat(personal["birth_date"]) if personal.get("birth_date") else None


async def rejoin_mentee(unit: IntakeUnit[Tx], cmd: RejoinMentee, caller: Caller) -> MenteeState:
    """A withdrawn mentee comes back on the same id, if eligible under the rules in force on the branch's today."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    personal = await unit.vault.read(cmd.mentee_id, caller.tenant)
    background = MigrationBackground.from_record(personal)
    events = mentee.decide_rejoin(state, cmd, _birth_date(personal), background, unit.rules_for(caller), caller.today)
    return await _save_mentee(unit, state, events, caller)


async def rejoin_mentor(unit: IntakeUnit[Tx], cmd: RejoinMentor, caller: Caller) -> MentorState:
    """A withdrawn mentor comes back on the same id, if eligible under the rules in force on the branch's today."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    personal = await unit.vault.read(cmd.mentor_id, caller.tenant)
    events = mentor.decide_rejoin(state, cmd, _birth_date(personal), unit.rules_for(caller), caller.today)
    return await _save_mentor(unit, state, events, caller)


async def change_mentor(unit: IntakeUnit[Tx], cmd: ChangeMentorProfile, caller: Caller) -> MentorState:
    """Change a mentor's profile."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    return await _save_mentor(unit, state, mentor.decide_change(state, cmd, unit.rules_for(caller)), caller)


async def record_training_module(unit: IntakeUnit[Tx], cmd: RecordTrainingModule, caller: Caller) -> MentorState:
    """Record a completed training module; the last one makes the mentor ready for matching."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    return await _save_mentor(
        unit, state, mentor.decide_training_module(state, cmd, caller.today, unit.rules_for(caller)), caller
    )


async def record_training_modules(unit: IntakeUnit[Tx], cmd: RecordTrainingModules, caller: Caller) -> MentorState:
    """Record several completed training modules at once; the last required one makes the mentor ready."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    return await _save_mentor(
        unit, state, mentor.decide_training_modules(state, cmd, caller.today, unit.rules_for(caller)), caller
    )


async def record_mentor_employment(unit: IntakeUnit[Tx], cmd: RecordMentorEmployment, caller: Caller) -> MentorState:
    """A mentor's employment status (MentorEmploymentRecorded when it changed); the employer's name, if any, kept
    with their personal data, where erasure removes it."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    employer, events = mentor.decide_employment(state, cmd)
    await unit.vault.update(cmd.mentor_id, caller.tenant, {"employer": employer})
    return await _save_mentor(unit, state, events, caller)


async def withdraw_mentor(unit: IntakeUnit[Tx], cmd: WithdrawMentor, caller: Caller) -> MentorState:
    """A mentor leaves the programme."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    return await _save_mentor(unit, state, mentor.decide_withdrawal(state, cmd), caller)


async def erase_mentee(unit: IntakeUnit[Tx], cmd: EraseMentee, caller: Caller) -> MenteeState:
    """Erase a mentee's personal data wherever intake keeps it; PersonalDataErased, which holds none."""
    state = await load_existing(unit, MENTEE, cmd.mentee_id, caller)
    events = mentee.decide_erasure(state, cmd)
    await unit.vault.erase(cmd.mentee_id, caller.tenant)
    return await _save_mentee(unit, state, events, caller)


async def erase_mentor(unit: IntakeUnit[Tx], cmd: EraseMentor, caller: Caller) -> MentorState:
    """Erase a mentor's personal data wherever intake keeps it; PersonalDataErased, which holds none."""
    state = await load_existing(unit, MENTOR, cmd.mentor_id, caller)
    events = mentor.decide_erasure(state, cmd)
    await unit.vault.erase(cmd.mentor_id, caller.tenant)
    return await _save_mentor(unit, state, events, caller)


def _office(state: MenteeState | MentorState) -> str:
    assert state.office is not None, "a registered person has an office"
    return state.office


async def _save(
    unit: IntakeUnit[Tx], aggregate: Aggregate[S], state: S, events: Sequence[DomainEvent], caller: Caller
) -> S:
    """Append a decision's events to the person's stream and keep their row in step (nothing to write when the
    decision made no event, but the If-Match is still checked)."""
    saved = await record(unit, aggregate, state, state.id, _office(state), events, caller)
    if events:
        await unit.people.save(saved)
    return saved


def _save_mentee(
    unit: IntakeUnit[Tx], state: MenteeState, events: Sequence[DomainEvent], caller: Caller
) -> Awaitable[MenteeState]:
    return _save(unit, MENTEE, state, events, caller)


def _save_mentor(
    unit: IntakeUnit[Tx], state: MentorState, events: Sequence[DomainEvent], caller: Caller
) -> Awaitable[MentorState]:
    return _save(unit, MENTOR, state, events, caller)


async def mentee_profile(
    unit: IntakeUnit[Tx], mentee_id: uuid.UUID, caller: Caller
) -> tuple[MenteeState, dict[str, Any]]:
    """A mentee of the caller's branch as now, with their personal data; NotFound otherwise."""
    return await load_existing(unit, MENTEE, mentee_id, caller), await unit.vault.read(mentee_id, caller.tenant)


async def mentor_profile(
    unit: IntakeUnit[Tx], mentor_id: uuid.UUID, caller: Caller
) -> tuple[MentorState, dict[str, Any]]:
    """A mentor of the caller's branch as now, with their personal data; NotFound otherwise."""
    return await load_existing(unit, MENTOR, mentor_id, caller), await unit.vault.read(mentor_id, caller.tenant)


# Every command intake takes, and the handler that carries it out (each pair type-checked).
HANDLERS = Handlers[IntakeUnit[Any]](
    RegisterMentee.handled_by(register_mentee),
    RegisterMentor.handled_by(register_mentor),
    ChangeMenteeProfile.handled_by(change_mentee),
    ChangeMentorProfile.handled_by(change_mentor),
    RecordTrainingModule.handled_by(record_training_module),
    RecordTrainingModules.handled_by(record_training_modules),
    RecordMentorEmployment.handled_by(record_mentor_employment),
    RecordTargetGroup.handled_by(record_target_group),
    WithdrawTargetGroupConsent.handled_by(withdraw_target_group_consent),
    WithdrawMentee.handled_by(withdraw_mentee),
    WithdrawMentor.handled_by(withdraw_mentor),
    RecordInformationSession.handled_by(record_information_session),
    RecordIntakeInterview.handled_by(record_intake_interview),
    RejoinMentee.handled_by(rejoin_mentee),
    RejoinMentor.handled_by(rejoin_mentor),
    EraseMentee.handled_by(erase_mentee),
    EraseMentor.handled_by(erase_mentor),
)


async def execute(unit: IntakeUnit[Tx], command: Command[A], caller: Caller) -> A:
    """Carry out one command with its handler; the answer is of the type the command declares."""
    return await HANDLERS.execute(unit, command, caller)
