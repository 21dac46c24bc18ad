"""Intake's rules: who may join per country branch (data-driven), and the checks every decision shares.

Pure: the caller passes the branch's local date in; nothing here reads a clock. Where each
value comes from, and which are placeholders, is written down in docs/domain.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from services.intake.domain.commands import Availability, Consents, MigrationBackground
from services.intake.domain.errors import PersonErased, PersonWithdrawn
from shared.commanding.errors import FieldProblem, InvalidField, NotFound
from shared.events.catalog import AgeBand, Consent, SectorExperience
from shared.tenancy import Tenant, UnknownOffice, tenant_of_office

EU_MEMBER_STATES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
# Refugees and holders of unlimited permits can work without a time limit; a
# temporary permit or a pending asylum claim does not give the stability the
# six months of mentoring and a job search need.
STABLE_RESIDENCE = frozenset({"citizen", "eu_citizen", "long_term", "international_protection"})


@dataclass(frozen=True)
class MenteeRules:
    """One branch's mentee eligibility: age range, background, residence, languages."""

    min_age: int
    max_age: int
    programme_languages: frozenset[str]
    accepted_residence: frozenset[str] = STABLE_RESIDENCE
    requires_non_eu_background: bool = True


@dataclass(frozen=True)
class MentorRules:
    """One branch's mentor eligibility: a minimum age, professional experience, a language the duo can speak."""

    programme_languages: frozenset[str]
    min_age: int = 50
    # Matching pairs a mentee's job target with a mentor's sector: a mentor brings at least this many
    # years of work in some sector. Assumption (docs/domain.md): the programme says "over 50 with
    # professional experience" and sets no number of years.
    min_experience_years: int = 1


# BE as DUO for a JOB publishes it (18 to 33, French, Dutch or English: docs/domain.md).
# Placeholder: the NL and FR values are not published by the branches and are assumptions
# until they confirm them (docs/domain.md lists them as such).
MENTEE_RULES: dict[Tenant, MenteeRules] = {
    Tenant.BE: MenteeRules(18, 33, frozenset({"fr", "nl", "en"})),
    Tenant.NL: MenteeRules(18, 35, frozenset({"nl", "en"})),
    Tenant.FR: MenteeRules(18, 30, frozenset({"fr", "en"})),
}
MENTOR_RULES: dict[Tenant, MentorRules] = {
    tenant: MentorRules(rules.programme_languages) for tenant, rules in MENTEE_RULES.items()
}


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on a day."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_band(age: int) -> AgeBand:
    """The band an age falls in; events carry the band, never the birth date."""
    bands: tuple[tuple[int, AgeBand], ...] = (
        (18, "under-18"),
        (25, "18-24"),
        (30, "25-29"),
        (35, "30-34"),
        (50, "35-49"),
        (55, "50-54"),
        (60, "55-59"),
        (65, "60-64"),
        (70, "65-69"),
    )
    return next((band for limit, band in bands if age < limit), "70+")


def speaks_programme_language(languages: tuple[str, ...], accepted: frozenset[str]) -> FieldProblem | None:
    """The duo needs a common working language the branch supports."""
    if accepted.intersection(languages):
        return None
    return FieldProblem("languages", "programme_language", f"must include one of {', '.join(sorted(accepted))}")


def mentee_problems(
    birth_date: date, background: MigrationBackground, languages: tuple[str, ...], rules: MenteeRules, today: date
) -> tuple[FieldProblem, ...]:
    """Every mentee rule the applicant fails, in a stable order; empty when eligible."""
    age = age_on(birth_date, today)
    problems = [
        FieldProblem("birth_date", "min_age", f"must be at least {rules.min_age} years old")
        if age < rules.min_age
        else None,
        FieldProblem("birth_date", "max_age", f"must be at most {rules.max_age} years old")
        if age > rules.max_age
        else None,
        None
        if not rules.requires_non_eu_background or has_non_eu_background(background)
        else FieldProblem(
            "nationality",
            "non_eu_background",
            "needs a non-EU nationality or a parent or grandparent born outside the EU",
        ),
        None
        if background.residence_permit in rules.accepted_residence
        else FieldProblem(
            "residence_permit",
            "long_term_residence_permit",
            f"needs a long-term right of residence (one of {', '.join(sorted(rules.accepted_residence))})",
        ),
        speaks_programme_language(languages, rules.programme_languages),
    ]
    return tuple(p for p in problems if p is not None)


def has_professional_experience(experience: tuple[SectorExperience, ...], rules: MentorRules) -> FieldProblem | None:
    """At least one sector with the branch's minimum years of experience."""
    if any(e.years >= rules.min_experience_years for e in experience):
        return None
    return FieldProblem(
        "experience",
        "professional_experience",
        f"needs at least {rules.min_experience_years} year(s) of experience in one sector",
    )


def mentor_problems(
    birth_date: date,
    experience: tuple[SectorExperience, ...],
    languages: tuple[str, ...],
    rules: MentorRules,
    today: date,
) -> tuple[FieldProblem, ...]:
    """Every mentor rule the volunteer fails; empty when eligible."""
    problems = [
        FieldProblem("birth_date", "min_age", f"must be at least {rules.min_age} years old")
        if age_on(birth_date, today) < rules.min_age
        else None,
        has_professional_experience(experience, rules),
        speaks_programme_language(languages, rules.programme_languages),
    ]
    return tuple(p for p in problems if p is not None)


def has_non_eu_background(background: MigrationBackground) -> bool:
    """A non-EU nationality, or a parent or grandparent born outside the EU."""
    return background.nationality not in EU_MEMBER_STATES or background.parent_or_grandparent_born_outside_eu


CONSENTS: tuple[Consent, ...] = ("data_processing", "voluntary_participation")


class HasStatus(Protocol):
    """A mentee's or mentor's state, as far as the shared checks read it."""

    @property
    def version(self) -> int: ...

    @property
    def status(self) -> str: ...


def require_consents(consents: Consents) -> tuple[Consent, ...]:
    """Both consents must be given explicitly; nobody is registered without them."""
    for name in CONSENTS:
        if getattr(consents, name) is not True:
            raise InvalidField(
                f"consent.{name}", "consent_required", f"explicit consent to {name.replace('_', ' ')} is required"
            )
    return CONSENTS


def require_office_of_branch(office: str, tenant: Tenant) -> None:
    """A coordinator works for one country branch and only registers or lists at its offices."""
    try:
        owner = tenant_of_office(office)
    except UnknownOffice as err:
        raise InvalidField("office", "known_office", str(err)) from None
    if owner != tenant:
        raise InvalidField(
            "office", "office_of_branch", f"office {office} is not an office of the {tenant.value} branch"
        )


def require_birth_date_not_in_future(birth_date: date, today: date) -> None:
    """A birth date after the branch's today is a typing error, not an applicant too young."""
    if birth_date > today:
        raise InvalidField("birth_date", "not_in_future", f"must not be in the future (today is {today.isoformat()})")


def require_completed_between(completed_on: date, registered_on: date, today: date) -> None:
    """A module is completed after the mentor registered and no later than the branch's today."""
    if completed_on > today:
        raise InvalidField("completed_on", "not_in_future", f"must not be in the future (today is {today.isoformat()})")
    if completed_on < registered_on:
        raise InvalidField(
            "completed_on",
            "not_before_registration",
            f"must not be before the mentor registered ({registered_on.isoformat()})",
        )


def require_active(state: HasStatus, kind: str) -> None:
    """Only an existing person who has not withdrawn can change."""
    if state.version == 0:
        raise NotFound(kind)
    if state.status == "erased":
        raise PersonErased(kind)
    if state.status == "withdrawn":
        raise PersonWithdrawn(kind)


def changed_values(event: object, *names: str) -> dict:
    """The fields a profile change sets (None: left as it was)."""
    return {name: getattr(event, name) for name in names if getattr(event, name) is not None}


def availability_changes(hours: float | None, day_parts: tuple[str, ...], asked: Availability | None) -> dict:
    """The availability fields a change really changes (mentees and mentors alike)."""
    if asked is None:
        return {}
    changes: dict = {}
    if asked.hours_per_week != hours:
        changes["weekly_availability_hours"] = asked.hours_per_week
    if asked.day_parts != day_parts:
        changes["available_day_parts"] = asked.day_parts
    return changes


def language_changes(languages: tuple[str, ...] | None, current: tuple[str, ...], accepted: frozenset[str]) -> dict:
    """The new languages, if they change and keep a programme language (mentees and mentors alike)."""
    if languages is None or languages == current:
        return {}
    if problem := speaks_programme_language(languages, accepted):
        raise InvalidField(problem.field, problem.rule, problem.message)
    return {"languages": languages}
