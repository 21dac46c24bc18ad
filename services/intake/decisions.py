"""Intake's registration decisions: pure functions of a command, the branch's rules and its today. No I/O here.

Changes, training and withdrawals are decided in profile_decisions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.intake.commands import RegisterMentee, RegisterMentor
from services.intake.eligibility import (
    MenteeRules,
    MentorRules,
    age_band,
    age_on,
    mentee_problems,
    mentor_problems,
)
from services.intake.errors import FieldProblem, NotEligible
from services.intake.guards import require_birth_date_not_in_future, require_consents
from shared.events.catalog import (
    MenteeApplicationRejected,
    MenteeRegistered,
    MentorRegistered,
)


@dataclass(frozen=True)
class MenteeApplicationDecision:
    """The fact to record for an application, and the rules it failed (none when registered)."""

    event: MenteeRegistered | MenteeApplicationRejected
    problems: tuple[FieldProblem, ...]


def decide_mentee_application(cmd: RegisterMentee, rules: MenteeRules, today: date) -> MenteeApplicationDecision:
    """Eligible: MenteeRegistered. Not eligible: MenteeApplicationRejected, so applications are counted too.

    `today` is the branch's local date (shared.tenancy.local_today): ages and "not in the future" use the same one.
    """
    consents = require_consents(cmd.consents)
    require_birth_date_not_in_future(cmd.personal.birth_date, today)
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
    """A consenting volunteer of 50 or more, with work experience and a programme language, becomes a mentor in training."""
    consents = require_consents(cmd.consents)
    require_birth_date_not_in_future(cmd.personal.birth_date, today)
    if problems := mentor_problems(cmd.personal.birth_date, cmd.experience, cmd.languages, rules, today):
        raise NotEligible(problems)
    return MentorRegistered(
        mentor_id=cmd.mentor_id, sectors=tuple(e.sector for e in cmd.experience), experience=cmd.experience,
        languages=cmd.languages, weekly_availability_hours=cmd.availability.hours_per_week,
        available_day_parts=cmd.availability.day_parts, capacity=cmd.capacity,
        age_band=age_band(age_on(cmd.personal.birth_date, today)), consents=consents,
    )
