"""A mentor: their state folded from their stream, and every decision about them. Pure.

A mentor registers "in training" and becomes ready for matching with the last of the
eight training modules (training.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import cast, get_args

from services.intake.domain.commands import (
    ChangeMentorProfile,
    EraseMentor,
    RecordMentorEmployment,
    RecordTrainingModule,
    RecordTrainingModules,
    RegisterMentor,
    RejoinMentor,
    WithdrawMentor,
)
from services.intake.domain.errors import NotEligible, NotWithdrawn, PersonErased
from services.intake.domain.rules import (
    BranchRules,
    age_on,
    availability_changes,
    changed_values,
    has_professional_experience,
    language_changes,
    mentor_problems,
    require_active,
    require_birth_date_not_in_future,
    require_completed_between,
    require_consents,
)
from services.intake.domain.training import TRAINING_MODULES
from shared.commanding.aggregate import Aggregate
from shared.commanding.errors import FieldProblem, InvalidField, NotFound
from shared.events.catalog import (
    EligibilityRule,
    MentorApplicationRejected,
    MentorEmploymentRecorded,
    MentorEmploymentStatus,
    MentorProfileChanged,
    MentorRegistered,
    MentorRejoined,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    MentorWithdrawn,
    PersonalDataErased,
    SectorExperience,
)
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.organisations import check_name
from shared.tenancy import Tenant, local_date


@dataclass(frozen=True)
class MentorState:
    """A mentor as their events describe them; version 0 means no such mentor."""

    mentor_id: uuid.UUID | None = None
    version: int = 0
    tenant: Tenant | None = None
    office: str | None = None
    status: str = "unknown"  # in_training | ready | withdrawn | erased
    experience: tuple[SectorExperience, ...] = ()
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[str, ...] = ()
    capacity: int = 1
    age_band: str | None = None
    consents: tuple[str, ...] = ()
    modules_completed: tuple[str, ...] = ()
    training_completed: bool = False
    registered_at: datetime | None = None
    withdrawal_reason: str | None = None
    rules_version: str | None = None
    employment_status: str | None = None  # None: never recorded
    employer_released: bool = False

    @property
    def sectors(self) -> tuple[str, ...]:
        """The NACE sections the mentor has experience in."""
        return tuple(e.sector for e in self.experience)

    @property
    def id(self) -> uuid.UUID:
        """The mentor's id; only a registered mentor (version 1 or more) has one."""
        assert self.mentor_id is not None, "no such mentor"
        return self.mentor_id

    @property
    def ready_for_matching(self) -> bool:
        """Only a trained mentor who has not withdrawn can be matched."""
        return self.status == "ready"


def _trained(state: MentorState, event: MentorTrainingModuleCompleted | MentorTrainingCompleted) -> MentorState:
    """What a training fact changes: `evolve`'s, and a list of modules' next decision's."""
    if isinstance(event, MentorTrainingModuleCompleted):
        return replace(state, modules_completed=(*state.modules_completed, event.module))
    return replace(state, training_completed=True, status="ready" if state.status == "in_training" else state.status)


def evolve(state: MentorState, envelope: EventEnvelope) -> MentorState:
    """One event applied to a mentor."""
    event = envelope.payload()
    match event:
        case MentorRegistered():
            return replace(
                state,
                mentor_id=event.mentor_id,
                tenant=envelope.tenant,
                office=envelope.office,
                status="in_training",
                experience=event.experience,
                languages=event.languages,
                weekly_availability_hours=event.weekly_availability_hours,
                available_day_parts=event.available_day_parts,
                capacity=event.capacity,
                age_band=event.age_band,
                consents=event.consents,
                registered_at=envelope.occurred_at,
                rules_version=event.rules_version,
            )
        case MentorRejoined():
            # Back where they were: ready if their training was completed, else still in training.
            return replace(
                state,
                status="ready" if state.training_completed else "in_training",
                withdrawal_reason=None,
                age_band=event.age_band,
                rules_version=event.rules_version,
            )
        case MentorProfileChanged():
            return replace(
                state,
                **changed_values(
                    event, "experience", "languages", "weekly_availability_hours", "available_day_parts", "capacity"
                ),
            )
        case MentorTrainingModuleCompleted() | MentorTrainingCompleted():
            return _trained(state, event)
        case MentorWithdrawn():
            return replace(state, status="withdrawn", withdrawal_reason=event.reason)
        case MentorEmploymentRecorded():
            return replace(state, employment_status=event.status, employer_released=event.employer_released)
        case PersonalDataErased():
            return replace(state, status="erased")
    return state  # an event type added later that this version does not know changes nothing here


MENTOR = Aggregate("mentor", MentorState(), evolve)


@dataclass(frozen=True)
class MentorApplicationDecision:
    """The fact to record for a mentor's application, and the rules it failed (none when registered)."""

    event: MentorRegistered | MentorApplicationRejected
    problems: tuple[FieldProblem, ...]


def decide_registration(cmd: RegisterMentor, rules: BranchRules, today: date) -> MentorApplicationDecision:
    """A consenting volunteer of 50 or more, with work experience and a programme language: a mentor in training.
    Not eligible: MentorApplicationRejected, recorded under the application id like a mentee's."""
    consents = require_consents(cmd.consents)
    require_birth_date_not_in_future(cmd.personal.birth_date, today)
    band = rules.age_band(age_on(cmd.personal.birth_date, today))
    if problems := mentor_problems(cmd.personal.birth_date, cmd.experience, cmd.languages, rules.mentor, today):
        rejected = MentorApplicationRejected(
            application_id=cmd.application,
            failed_rules=tuple(cast(EligibilityRule, p.rule) for p in problems),
            age_band=band,
            sectors=tuple(e.sector for e in cmd.experience),
            languages=cmd.languages,
            rules_version=rules.version,
        )
        return MentorApplicationDecision(rejected, problems)
    registered = MentorRegistered(
        mentor_id=cmd.mentor_id,
        sectors=tuple(e.sector for e in cmd.experience),
        experience=cmd.experience,
        languages=cmd.languages,
        weekly_availability_hours=cmd.availability.hours_per_week,
        available_day_parts=cmd.availability.day_parts,
        capacity=cmd.capacity,
        age_band=band,
        consents=consents,
        rules_version=rules.version,
    )
    return MentorApplicationDecision(registered, ())


def decide_change(state: MentorState, cmd: ChangeMentorProfile, rules: BranchRules) -> list[MentorProfileChanged]:
    """One MentorProfileChanged naming what really changed; nothing when the request changes nothing."""
    require_active(state, "mentor")
    changes = language_changes(cmd.languages, state.languages, rules.mentor.programme_languages)
    if cmd.experience is not None and cmd.experience != state.experience:
        if problem := has_professional_experience(cmd.experience, rules.mentor):
            raise InvalidField(problem.field, problem.rule, problem.message)
        changes |= {"experience": cmd.experience, "sectors": tuple(e.sector for e in cmd.experience)}
    if cmd.capacity is not None and cmd.capacity != state.capacity:
        changes["capacity"] = cmd.capacity
    changes |= availability_changes(state.weekly_availability_hours, state.available_day_parts, cmd.availability)
    return [MentorProfileChanged(mentor_id=state.id, changed_fields=tuple(changes), **changes)] if changes else []


def decide_training_module(
    state: MentorState, cmd: RecordTrainingModule, today: date, rules: BranchRules | None = None
) -> list[DomainEvent]:
    """Record a module once, dated between registration and the branch's `today`; the last of the modules the
    branch's rules in force require (all eight unless the rules say otherwise) completes the training."""
    require_active(state, "mentor")
    required = rules.mentor.training_modules if rules is not None else tuple(TRAINING_MODULES)
    if cmd.module not in TRAINING_MODULES:
        raise InvalidField("module", "known_module", f"must be one of {', '.join(TRAINING_MODULES)}")
    assert state.tenant is not None and state.registered_at is not None  # an active mentor is registered
    require_completed_between(cmd.completed_on, local_date(state.tenant, state.registered_at), today)
    if cmd.module in state.modules_completed:
        return []  # attending a module twice is not a new fact
    events: list[DomainEvent] = [
        MentorTrainingModuleCompleted(mentor_id=state.id, module=cmd.module, completed_on=cmd.completed_on)
    ]
    if not state.training_completed and set(required) <= {*state.modules_completed, cmd.module}:
        events.append(MentorTrainingCompleted(mentor_id=state.id))
    return events


def decide_training_modules(
    state: MentorState, cmd: RecordTrainingModules, today: date, rules: BranchRules | None = None
) -> list[DomainEvent]:
    """Several modules at once, each decided as `decide_training_module` would one after the other (a module
    listed twice, or already done, is no new fact; the last required one completes the training); a problem
    names the module's place in the list (`modules.2.completed_on`) and nothing is recorded."""
    if not cmd.modules:
        raise InvalidField("modules", "modules_required", "list at least one module")
    events: list[DomainEvent] = []
    for index, one in enumerate(cmd.modules):
        try:
            decided = decide_training_module(state, one, today, rules)
        except InvalidField as refused:
            problem = refused.problems[0]
            raise InvalidField(f"modules.{index}.{problem.field}", problem.rule, problem.message) from refused
        for event in decided:  # learnt as the stream's fold learns them, for the next module's decision
            if isinstance(event, MentorTrainingModuleCompleted | MentorTrainingCompleted):
                state = _trained(state, event)
        events += decided
    return events


def decide_withdrawal(state: MentorState, cmd: WithdrawMentor) -> list[MentorWithdrawn]:
    """A mentor leaves; leaving twice is refused."""
    require_active(state, "mentor")
    return [MentorWithdrawn(mentor_id=state.id, reason=cmd.reason)]


def decide_rejoin(
    state: MentorState, cmd: RejoinMentor, birth_date: date | None, rules: BranchRules, today: date
) -> list[MentorRejoined]:
    """A withdrawn mentor comes back on the same id if still eligible under `rules`, those in force on the
    branch's `today` (422 listing the rules failed)."""
    if state.version == 0:
        raise NotFound("mentor")
    if state.status == "erased":
        raise PersonErased("mentor")
    if state.status != "withdrawn":
        raise NotWithdrawn("mentor")
    assert birth_date is not None, "a withdrawn mentor's personal data is kept"
    if problems := mentor_problems(birth_date, state.experience, state.languages, rules.mentor, today):
        raise NotEligible(problems)
    band = rules.age_band(age_on(birth_date, today))
    return [MentorRejoined(mentor_id=state.id, age_band=band, rules_version=rules.version)]


def decide_erasure(state: MentorState, cmd: EraseMentor) -> list[PersonalDataErased]:
    """Erase a mentor's personal data, once; a withdrawn mentor can be erased too."""
    if state.version == 0:
        raise NotFound("mentor")
    if state.status == "erased":
        raise PersonErased("mentor")
    return [PersonalDataErased(person_id=state.id, kind="mentor", reason=cmd.reason)]


EMPLOYMENT_STATUSES: tuple[MentorEmploymentStatus, ...] = get_args(MentorEmploymentStatus)


def decide_employment(
    state: MentorState, cmd: RecordMentorEmployment
) -> tuple[str | None, list[MentorEmploymentRecorded]]:
    """The employer's name to keep with the mentor's personal data (None: none) and the status, recorded when it or
    the release changed. Only an employed mentor has an employer (optional) and can be released by it."""
    require_active(state, "mentor")
    status = next((s for s in EMPLOYMENT_STATUSES if s == cmd.status), None)
    if status is None:
        raise InvalidField("status", "known_status", f"one of {', '.join(EMPLOYMENT_STATUSES)}")
    if status != "employed" and cmd.employer_released:
        raise InvalidField("employer_released", "employed_only", "only an employed mentor is released by an employer")
    if status != "employed" and cmd.employer is not None:
        raise InvalidField("employer", "employed_only", "only an employed mentor has an employer")
    employer = None if cmd.employer is None else check_name("employer", cmd.employer)
    unchanged = (state.employment_status, state.employer_released) == (status, cmd.employer_released)
    if unchanged:
        return employer, []
    event = MentorEmploymentRecorded(mentor_id=state.id, status=status, employer_released=cmd.employer_released)
    return employer, [event]
