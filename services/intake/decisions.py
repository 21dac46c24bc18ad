"""Intake's decisions: pure functions of state and command that return the new events, or raise. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.intake.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    Consents,
    RecordTrainingModule,
    RegisterMentee,
    RegisterMentor,
    Withdraw,
)
from services.intake.eligibility import (
    MenteeRules,
    MentorRules,
    age_band,
    age_on,
    mentee_problems,
    mentor_problems,
    speaks_programme_language,
)
from services.intake.errors import (
    FieldProblem,
    InvalidField,
    NotEligible,
    PersonNotFound,
    PersonWithdrawn,
)
from services.intake.state import MenteeState, MentorState
from services.intake.training import TRAINING_MODULES
from shared.events.catalog import (
    MenteeApplicationRejected,
    MenteeProfileChanged,
    MenteeRegistered,
    MenteeWithdrawn,
    MentorProfileChanged,
    MentorRegistered,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    MentorWithdrawn,
)

CONSENTS = ("data_processing", "voluntary_participation")


@dataclass(frozen=True)
class MenteeApplicationDecision:
    """The fact to record for an application, and the rules it failed (none when registered)."""

    event: MenteeRegistered | MenteeApplicationRejected
    problems: tuple[FieldProblem, ...]


def require_consents(consents: Consents) -> tuple[str, ...]:
    """Both consents must be given explicitly; nobody is registered without them."""
    for name in CONSENTS:
        if getattr(consents, name) is not True:
            raise InvalidField(f"consent.{name}", "consent_required", f"explicit consent to {name.replace('_', ' ')} is required")
    return CONSENTS


def decide_mentee_application(cmd: RegisterMentee, rules: MenteeRules, today: date) -> MenteeApplicationDecision:
    """Eligible: MenteeRegistered. Not eligible: MenteeApplicationRejected, so applications are counted too."""
    consents = require_consents(cmd.consents)
    band = age_band(age_on(cmd.personal.birth_date, today))
    problems = mentee_problems(cmd.personal.birth_date, cmd.background, cmd.languages, rules, today)
    if problems:
        return MenteeApplicationDecision(MenteeApplicationRejected(
            application_id=cmd.application_id, failed_rules=tuple(p.rule for p in problems), age_band=band,
            job_target_sector=cmd.job_target_sector, languages=cmd.languages,
        ), problems)
    return MenteeApplicationDecision(MenteeRegistered(
        mentee_id=cmd.mentee_id, job_target_sector=cmd.job_target_sector, languages=cmd.languages,
        weekly_availability_hours=cmd.availability.hours_per_week, available_day_parts=cmd.availability.day_parts,
        age_band=band, consents=consents,
    ), ())


def decide_mentor_registration(cmd: RegisterMentor, rules: MentorRules, today: date) -> MentorRegistered:
    """A consenting volunteer of 50 or more who speaks a programme language becomes a mentor in training."""
    consents = require_consents(cmd.consents)
    if problems := mentor_problems(cmd.personal.birth_date, cmd.languages, rules, today):
        raise NotEligible(problems)
    return MentorRegistered(
        mentor_id=cmd.mentor_id, sectors=tuple(e.sector for e in cmd.experience), experience=cmd.experience,
        languages=cmd.languages, weekly_availability_hours=cmd.availability.hours_per_week,
        available_day_parts=cmd.availability.day_parts, capacity=cmd.capacity,
        age_band=age_band(age_on(cmd.personal.birth_date, today)), consents=consents,
    )


def require_active(state: MenteeState | MentorState, kind: str) -> None:
    """Only an existing person who has not withdrawn can change."""
    if state.version == 0:
        raise PersonNotFound(f"no {kind} with this id")
    if state.status == "withdrawn":
        raise PersonWithdrawn(kind)


def _availability_changes(state: MenteeState | MentorState, cmd: ChangeMenteeProfile | ChangeMentorProfile) -> dict:
    if cmd.availability is None:
        return {}
    changes = {}
    if cmd.availability.hours_per_week != state.weekly_availability_hours:
        changes["weekly_availability_hours"] = cmd.availability.hours_per_week
    if cmd.availability.day_parts != state.available_day_parts:
        changes["available_day_parts"] = cmd.availability.day_parts
    return changes


def _language_changes(languages: tuple[str, ...] | None, current: tuple[str, ...], accepted: frozenset[str]) -> dict:
    if languages is None or languages == current:
        return {}
    if problem := speaks_programme_language(languages, accepted):
        raise InvalidField(problem.field, problem.rule, problem.message)
    return {"languages": languages}


def decide_mentee_change(
    state: MenteeState, cmd: ChangeMenteeProfile, rules: MenteeRules, occupation_now: str | None
) -> list[MenteeProfileChanged]:
    """One MenteeProfileChanged naming what really changed; nothing when the request changes nothing."""
    require_active(state, "mentee")
    changes = _language_changes(cmd.languages, state.languages, rules.programme_languages)
    if cmd.job_target_sector is not None and cmd.job_target_sector != state.job_target_sector:
        changes["job_target_sector"] = cmd.job_target_sector
    changes |= _availability_changes(state, cmd)
    changed = tuple(changes)
    if cmd.job_target_occupation is not None and cmd.job_target_occupation != occupation_now:
        changed += ("job_target_occupation",)  # the text itself stays in intake's personal data
    return [MenteeProfileChanged(mentee_id=state.mentee_id, changed_fields=changed, **changes)] if changed else []


def decide_mentor_change(state: MentorState, cmd: ChangeMentorProfile, rules: MentorRules) -> list[MentorProfileChanged]:
    """One MentorProfileChanged naming what really changed; nothing when the request changes nothing."""
    require_active(state, "mentor")
    changes = _language_changes(cmd.languages, state.languages, rules.programme_languages)
    if cmd.experience is not None and cmd.experience != state.experience:
        changes |= {"experience": cmd.experience, "sectors": tuple(e.sector for e in cmd.experience)}
    if cmd.capacity is not None and cmd.capacity != state.capacity:
        changes["capacity"] = cmd.capacity
    changes |= _availability_changes(state, cmd)
    return [MentorProfileChanged(mentor_id=state.mentor_id, changed_fields=tuple(changes), **changes)] if changes else []


def decide_training_module(
    state: MentorState, cmd: RecordTrainingModule
) -> list[MentorTrainingModuleCompleted | MentorTrainingCompleted]:
    """Record a module once; the eighth distinct module also completes the training."""
    require_active(state, "mentor")
    if cmd.module not in TRAINING_MODULES:
        raise InvalidField("module", "known_module", f"must be one of {', '.join(TRAINING_MODULES)}")
    if cmd.module in state.modules_completed:
        return []  # attending a module twice is not a new fact
    events: list = [MentorTrainingModuleCompleted(mentor_id=state.mentor_id, module=cmd.module, completed_on=cmd.completed_on)]
    if set(TRAINING_MODULES) <= {*state.modules_completed, cmd.module}:
        events.append(MentorTrainingCompleted(mentor_id=state.mentor_id))
    return events


def decide_mentee_withdrawal(state: MenteeState, cmd: Withdraw) -> list[MenteeWithdrawn]:
    """A mentee leaves; leaving twice is refused."""
    require_active(state, "mentee")
    return [MenteeWithdrawn(mentee_id=state.mentee_id, reason=cmd.reason)]


def decide_mentor_withdrawal(state: MentorState, cmd: Withdraw) -> list[MentorWithdrawn]:
    """A mentor leaves; leaving twice is refused."""
    require_active(state, "mentor")
    return [MentorWithdrawn(mentor_id=state.mentor_id, reason=cmd.reason)]
