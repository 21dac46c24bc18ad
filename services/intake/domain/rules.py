"""Intake's rules: who may join per country branch (data-driven), and the checks every decision shares.

Pure: the caller passes the branch's local date in; nothing here reads a clock. Where each
value comes from, and which are placeholders, is written down in docs/domain.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from services.intake.domain.commands import Availability, Consents, MigrationBackground
from services.intake.domain.errors import PersonErased, PersonWithdrawn
from services.intake.domain.training import TRAINING_MODULES
from shared.commanding.errors import CommandRefused, FieldProblem, InvalidField, NotFound
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
    """One branch's mentor eligibility: a minimum age, professional experience, a language the duo can speak,
    and the training modules to complete before matching."""

    programme_languages: frozenset[str]
    min_age: int = 50
    # Matching pairs a mentee's job target with a mentor's sector: a mentor brings at least this many
    # years of work in some sector. Assumption (docs/domain.md): the programme says "over 50 with
    # professional experience" and sets no number of years.
    min_experience_years: int = 1
    training_modules: tuple[str, ...] = tuple(TRAINING_MODULES)


@dataclass(frozen=True)
class RuleSource:
    """Where one value of a rules version comes from; a placeholder awaits the branch's confirmation."""

    source: str
    placeholder: bool = False


# The lower ages of the reporting bands every branch shares ("under-18", "18-24", ..., "70+"). A branch's
# own limits are added to them (age_band_limits), so that no band holds both eligible and ineligible ages.
BASE_BAND_LIMITS: tuple[int, ...] = (18, 25, 30, 35, 50, 55, 60, 65, 70)


@dataclass(frozen=True)
class BranchRules:
    """One version of one branch's rules, in force from `valid_from` until the next version's date.

    Loaded from the branch's file at the edge (adapters/rules_files.py) and passed in: nothing here reads it.
    """

    branch: Tenant
    version: str
    valid_from: date
    mentee: MenteeRules
    mentor: MentorRules
    note: str = ""
    sources: Mapping[str, RuleSource] = field(default_factory=dict)

    @property
    def band_limits(self) -> tuple[int, ...]:
        """The bands' lower ages: the shared ones plus this version's age limits (docs/domain.md)."""
        return age_band_limits(self)

    def age_band(self, age: int) -> AgeBand:
        """The band of an age under these rules: entirely eligible or entirely not, never both."""
        return age_band(age, self.band_limits)


class NoRulesInForce(CommandRefused):
    """No version of the branch's rules is in force on the day: nobody can be decided on."""

    status = 422

    def __init__(self, branch: Tenant, day: date) -> None:
        message = f"no rules of the {branch.value} branch are in force on {day.isoformat()}"
        super().__init__(message, (FieldProblem("on", "rules_in_force", message),))


@dataclass(frozen=True)
class RuleBook:
    """Every version of every branch's rules. A decision takes the version in force on the branch's today,
    so a new version changes decisions from its date on and never a past one."""

    versions: tuple[BranchRules, ...]

    def history(self, branch: Tenant) -> tuple[BranchRules, ...]:
        """The branch's versions, oldest first."""
        return tuple(sorted((v for v in self.versions if v.branch == branch), key=lambda v: v.valid_from))

    def in_force(self, branch: Tenant, day: date) -> BranchRules:
        """The version of the branch's rules in force on `day` (the latest that started on or before it)."""
        started = [v for v in self.history(branch) if v.valid_from <= day]
        if not started:
            raise NoRulesInForce(branch, day)
        return started[-1]

    def version(self, branch: Tenant, version: str) -> BranchRules | None:
        """A version by its id, if the branch has it."""
        return next((v for v in self.history(branch) if v.version == version), None)


def age_band_limits(rules: BranchRules) -> tuple[int, ...]:
    """The shared band limits plus the branch's own: the mentee's minimum age, the first age past the maximum,
    and the mentor's minimum age. Each derived band lies inside one shared band, so bands roll up."""
    own = {rules.mentee.min_age, rules.mentee.max_age + 1, rules.mentor.min_age}
    return tuple(sorted(set(BASE_BAND_LIMITS) | own))


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on a day."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_band(age: int, limits: Iterable[int] = BASE_BAND_LIMITS) -> AgeBand:
    """The band an age falls in; events carry the band, never the birth date.

    `limits` are the bands' lower ages: "under-<first>", then "<lo>-<hi>" ("<lo>" for a one-year band),
    and "<last>+".
    """
    bounds = sorted(set(limits))
    if age < bounds[0]:
        return f"under-{bounds[0]}"
    for low, next_low in zip(bounds, bounds[1:], strict=False):
        if age < next_low:
            return str(low) if next_low - 1 == low else f"{low}-{next_low - 1}"
    return f"{bounds[-1]}+"


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
            "nationalities",
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
    """A non-EU nationality (one of several is enough), statelessness, or a parent or grandparent born outside
    the EU. A stateless person holds no EU nationality: they count as of non-EU background."""
    return (
        background.stateless
        or any(code not in EU_MEMBER_STATES for code in background.nationalities)
        or background.parent_or_grandparent_born_outside_eu
    )


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


def require_completed_between(
    completed_on: date, registered_on: date, today: date, field: str = "completed_on", kind: str = "mentor"
) -> None:
    """A step (a training module, an information session, an interview) happens after the person registered
    and no later than the branch's today."""
    if completed_on > today:
        raise InvalidField(field, "not_in_future", f"must not be in the future (today is {today.isoformat()})")
    if completed_on < registered_on:
        raise InvalidField(
            field,
            "not_before_registration",
            f"must not be before the {kind} registered ({registered_on.isoformat()})",
        )


def require_active(state: HasStatus, kind: str) -> None:
    """Only an existing person who has not withdrawn can change."""
    if state.version == 0:
        raise NotFound(kind)
    if state.status == "erased":
        raise PersonErased(kind)
    if state.status == "withdrawn":
        raise PersonWithdrawn(kind)


def changed_values(event: object, *names: str) -> dict[str, Any]:
    """The fields a profile change sets (None: left as it was)."""
    return {name: getattr(event, name) for name in names if getattr(event, name) is not None}


def availability_changes(hours: float | None, day_parts: tuple[str, ...], asked: Availability | None) -> dict[str, Any]:
    """The availability fields a change really changes (mentees and mentors alike)."""
    if asked is None:
        return {}
    changes: dict[str, Any] = {}
    if asked.hours_per_week != hours:
        changes["weekly_availability_hours"] = asked.hours_per_week
    if asked.day_parts != day_parts:
        changes["available_day_parts"] = asked.day_parts
    return changes


def language_changes(
    languages: tuple[str, ...] | None, current: tuple[str, ...], accepted: frozenset[str]
) -> dict[str, Any]:
    """The new languages, if they change and keep a programme language (mentees and mentors alike)."""
    if languages is None or languages == current:
        return {}
    if problem := speaks_programme_language(languages, accepted):
        raise InvalidField(problem.field, problem.rule, problem.message)
    return {"languages": languages}
