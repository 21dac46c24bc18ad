"""Eligibility: every rule passes and fails for Belgium, and branches differ where they say so."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.intake.domain.commands import MigrationBackground
from services.intake.domain.rules import (
    age_band,
    age_on,
    has_non_eu_background,
    mentee_problems,
    mentor_problems,
)
from shared.events.catalog import SectorExperience
from shared.tenancy import Tenant
from tests.unit.test_intake_decisions import RULES

TODAY = date(2026, 6, 15)
MENTEE_RULES = {tenant: rules.mentee for tenant, rules in RULES.items()}
MENTOR_RULES = {tenant: rules.mentor for tenant, rules in RULES.items()}
BE = MENTEE_RULES[Tenant.BE]
MOROCCAN = MigrationBackground(("MA",), False, "long_term")
SEASONED = (SectorExperience(sector="C", years=30),)


def born_aged(years: int, days_before_birthday: int = 0) -> date:
    """A birth date making someone exactly `years` old on TODAY (or a day short of it)."""
    birthday = TODAY.replace(year=TODAY.year - years)
    return birthday.replace(day=birthday.day + days_before_birthday)


AGED_25 = born_aged(25)


def rules_failed(birth_date=AGED_25, background=MOROCCAN, languages=("fr",), rules=BE) -> list[str]:
    return [p.rule for p in mentee_problems(birth_date, background, languages, rules, TODAY)]


def test_an_eligible_belgian_applicant_fails_no_rule():
    assert rules_failed() == []


@pytest.mark.parametrize(
    ("birth_date", "failed"),
    [
        (born_aged(18), []),
        (born_aged(18, days_before_birthday=1), ["min_age"]),
        (born_aged(33), []),
        (born_aged(34), ["max_age"]),
        (born_aged(34, days_before_birthday=1), []),
    ],
)
def test_belgian_age_is_18_to_33_inclusive(birth_date, failed):
    assert rules_failed(birth_date=birth_date) == failed


@pytest.mark.parametrize(
    ("background", "failed"),
    [
        (MigrationBackground(("MA",), False, "long_term"), []),
        (MigrationBackground(("BE",), True, "citizen"), []),  # Belgian with a grandparent born outside the EU
        (MigrationBackground(("BE",), False, "citizen"), ["non_eu_background"]),
        (MigrationBackground(("FR",), False, "eu_citizen"), ["non_eu_background"]),
    ],
)
def test_belgian_background_needs_non_eu_nationality_or_ancestry(background, failed):
    assert rules_failed(background=background) == failed


@pytest.mark.parametrize(
    ("permit", "failed"),
    [
        ("long_term", []),
        ("international_protection", []),
        ("citizen", []),
        ("temporary", ["long_term_residence_permit"]),
        ("asylum_seeker", ["long_term_residence_permit"]),
        ("none", ["long_term_residence_permit"]),
    ],
)
def test_belgian_residence_must_be_long_term(permit, failed):
    assert rules_failed(background=MigrationBackground(("SY",), False, permit)) == failed


@pytest.mark.parametrize(
    ("languages", "failed"),
    [
        (("fr",), []),
        (("nl",), []),
        (("ar", "en"), []),
        (("ar", "tr"), ["programme_language"]),
    ],
)
def test_belgian_applicants_speak_french_dutch_or_english(languages, failed):
    assert rules_failed(languages=languages) == failed


def test_every_failed_rule_is_reported_with_its_field_in_a_stable_order():
    problems = mentee_problems(born_aged(40), MigrationBackground(("DE",), False, "temporary"), ("de",), BE, TODAY)
    assert [(p.field, p.rule) for p in problems] == [
        ("birth_date", "max_age"),
        ("nationalities", "non_eu_background"),
        ("residence_permit", "long_term_residence_permit"),
        ("languages", "programme_language"),
    ]
    assert "33" in problems[0].message


def test_branches_set_their_own_rules():
    assert rules_failed(languages=("nl",), rules=MENTEE_RULES[Tenant.FR]) == ["programme_language"]
    assert rules_failed(languages=("nl",), rules=MENTEE_RULES[Tenant.NL]) == []
    assert rules_failed(birth_date=born_aged(35), languages=("nl",), rules=MENTEE_RULES[Tenant.NL]) == []
    assert rules_failed(birth_date=born_aged(35), languages=("nl",)) == ["max_age"]
    assert rules_failed(birth_date=born_aged(31), rules=MENTEE_RULES[Tenant.FR]) == ["max_age"]


@pytest.mark.parametrize(("age", "failed"), [(50, []), (49, ["min_age"]), (80, [])])
def test_mentors_are_50_or_older(age, failed):
    assert [
        p.rule for p in mentor_problems(born_aged(age), SEASONED, ("nl",), MENTOR_RULES[Tenant.BE], TODAY)
    ] == failed


def test_mentors_speak_a_programme_language():
    assert [p.rule for p in mentor_problems(born_aged(60), SEASONED, ("de",), MENTOR_RULES[Tenant.BE], TODAY)] == [
        "programme_language"
    ]


def test_age_counts_whole_years_including_a_leap_day_birth():
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert age_on(date(2000, 2, 29), date(2026, 3, 1)) == 26


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (17, "under-18"),
        (18, "18-24"),
        (24, "18-24"),
        (25, "25-29"),
        (33, "30-34"),
        (34, "30-34"),
        (35, "35-49"),
        (50, "50-54"),
        (69, "65-69"),
        (70, "70+"),
    ],
)
def test_age_bands(age, band):
    assert age_band(age) == band


def test_non_eu_background():
    assert has_non_eu_background(MigrationBackground(("TR",), False, "long_term"))
    assert not has_non_eu_background(MigrationBackground(("NL",), False, "eu_citizen"))


@pytest.mark.parametrize(
    ("experience", "failed"),
    [
        (SEASONED, []),
        ((SectorExperience(sector="C", years=1),), []),
        ((SectorExperience(sector="C", years=0), SectorExperience(sector="F", years=2)), []),
        ((SectorExperience(sector="C", years=0),), ["professional_experience"]),
        ((), ["professional_experience"]),
    ],
)
def test_mentors_bring_at_least_a_year_of_professional_experience(experience, failed):
    problems = mentor_problems(born_aged(60), experience, ("nl",), MENTOR_RULES[Tenant.BE], TODAY)
    assert [p.rule for p in problems] == failed
    assert all(p.field == "experience" and "1 year" in p.message for p in problems)


def test_branches_set_their_own_experience_minimum():
    stricter = replace(MENTOR_RULES[Tenant.BE], min_experience_years=5)
    four_years = (SectorExperience(sector="C", years=4),)
    assert mentor_problems(born_aged(60), four_years, ("nl",), MENTOR_RULES[Tenant.BE], TODAY) == ()
    [problem] = mentor_problems(born_aged(60), four_years, ("nl",), stricter, TODAY)
    assert problem.rule == "professional_experience" and "5 year" in problem.message


@pytest.mark.parametrize(
    ("today", "failed"),
    [
        (date(2026, 2, 28), ["min_age"]),  # not yet 18: a 29 February birthday comes on 1 March in common years
        (date(2026, 3, 1), []),
        (date(2028, 2, 28), []),  # 20 in a leap year, to show the rule is about whole years, not leap days
    ],
)
def test_a_leap_day_birth_is_18_on_the_first_of_march_of_a_common_year(today, failed):
    problems = mentee_problems(date(2008, 2, 29), MOROCCAN, ("fr",), BE, today)
    assert [p.rule for p in problems] == failed
