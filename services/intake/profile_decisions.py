"""Intake's decisions about registered people: profile changes, training modules, withdrawals. No I/O here."""

from __future__ import annotations

from datetime import date

from services.intake.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    RecordTrainingModule,
    Withdraw,
)
from services.intake.eligibility import (
    MenteeRules,
    MentorRules,
    has_professional_experience,
    speaks_programme_language,
)
from services.intake.errors import InvalidField
from services.intake.guards import require_active, require_completed_between
from services.intake.state import MenteeState, MentorState
from services.intake.training import TRAINING_MODULES
from shared.events.catalog import (
    MenteeProfileChanged,
    MenteeWithdrawn,
    MentorProfileChanged,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    MentorWithdrawn,
)
from shared.tenancy import local_date


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
        if problem := has_professional_experience(cmd.experience, rules):
            raise InvalidField(problem.field, problem.rule, problem.message)
        changes |= {"experience": cmd.experience, "sectors": tuple(e.sector for e in cmd.experience)}
    if cmd.capacity is not None and cmd.capacity != state.capacity:
        changes["capacity"] = cmd.capacity
    changes |= _availability_changes(state, cmd)
    return [MentorProfileChanged(mentor_id=state.mentor_id, changed_fields=tuple(changes), **changes)] if changes else []


def decide_training_module(
    state: MentorState, cmd: RecordTrainingModule, today: date
) -> list[MentorTrainingModuleCompleted | MentorTrainingCompleted]:
    """Record a module once, dated between registration and the branch's `today`; the eighth completes the training."""
    require_active(state, "mentor")
    if cmd.module not in TRAINING_MODULES:
        raise InvalidField("module", "known_module", f"must be one of {', '.join(TRAINING_MODULES)}")
    require_completed_between(cmd.completed_on, local_date(state.tenant, state.registered_at), today)
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
