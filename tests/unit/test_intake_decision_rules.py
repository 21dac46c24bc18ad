"""Intake's decisions on dates (the branch's today), experience, languages and withdrawal. No I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.intake.domain.commands import (
    ChangeMentorProfile,
    PersonalDetails,
    RecordTrainingModule,
    WithdrawMentor,
)
from services.intake.domain.errors import PersonWithdrawn
from services.intake.domain.mentee import decide_application as decide_mentee_application
from services.intake.domain.mentor import decide_change as decide_mentor_change
from services.intake.domain.mentor import decide_registration as decide_mentor_registration
from services.intake.domain.mentor import decide_training_module
from services.intake.domain.mentor import decide_withdrawal as decide_mentor_withdrawal
from shared.commanding.errors import InvalidField
from shared.events.catalog import MentorWithdrawn, SectorExperience
from shared.tenancy import Tenant, local_today
from tests.unit.test_intake_decisions import MENTOR_NOW, RULES, TODAY, mentee, mentor


def test_a_birth_date_after_the_branchs_today_is_refused_not_recorded():
    tomorrow = PersonalDetails("A", "B", "a@example.org", None, date(2026, 6, 16))
    with pytest.raises(InvalidField) as refused:
        decide_mentee_application(mentee(personal=tomorrow), RULES[Tenant.BE], TODAY)
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == ("birth_date", "not_in_future")
    with pytest.raises(InvalidField):
        decide_mentor_registration(mentor(personal=tomorrow), RULES[Tenant.BE], TODAY)


def test_at_2330_utc_on_the_eve_of_an_18th_birthday_a_brussels_applicant_is_already_18():
    eve = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)  # 01:30 on 15 June in Brussels (summer time)
    cmd = mentee(personal=PersonalDetails("A", "B", "a@example.org", None, date(2008, 6, 15)))
    brussels_today = local_today(Tenant.BE, eve)
    assert brussels_today == date(2026, 6, 15)
    decision = decide_mentee_application(cmd, RULES[Tenant.BE], brussels_today)
    assert decision.problems == () and decision.event.age_band == "18-24"
    # On UTC's date the same applicant would still be 17: the branch's date is what counts.
    assert [p.rule for p in decide_mentee_application(cmd, RULES[Tenant.BE], eve.date()).problems] == ["min_age"]


def test_a_mentor_under_a_year_of_experience_is_not_eligible_and_cannot_change_to_it():
    refused = decide_mentor_registration(
        mentor(experience=(SectorExperience(sector="C", years=0),)), RULES[Tenant.BE], TODAY
    )
    assert [p.rule for p in refused.problems] == ["professional_experience"]
    change = ChangeMentorProfile(MENTOR_NOW.id, experience=(SectorExperience(sector="F", years=0),))
    with pytest.raises(InvalidField) as changed:
        decide_mentor_change(MENTOR_NOW, change, RULES[Tenant.BE])
    assert changed.value.problems[0].rule == "professional_experience"


def test_a_mentor_cannot_change_to_languages_without_a_programme_language():
    cmd = ChangeMentorProfile(MENTOR_NOW.id, languages=("de", "tr"))
    with pytest.raises(InvalidField) as refused:
        decide_mentor_change(MENTOR_NOW, cmd, RULES[Tenant.BE])
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == ("languages", "programme_language")


def test_a_mentor_withdraws_with_a_reason():
    assert decide_mentor_withdrawal(MENTOR_NOW, WithdrawMentor(MENTOR_NOW.id, "health")) == [
        MentorWithdrawn(mentor_id=MENTOR_NOW.id, reason="health")
    ]
    with pytest.raises(PersonWithdrawn):
        decide_mentor_withdrawal(replace(MENTOR_NOW, status="withdrawn"), WithdrawMentor(MENTOR_NOW.id, "other"))


@pytest.mark.parametrize(
    ("completed_on", "rule"),
    [
        (date(2026, 5, 31), "not_before_registration"),  # the mentor registered on 1 June
        (date(2026, 6, 16), "not_in_future"),
    ],
)
def test_a_training_module_is_dated_between_registration_and_the_branchs_today(completed_on, rule):
    with pytest.raises(InvalidField) as refused:
        decide_training_module(MENTOR_NOW, RecordTrainingModule(MENTOR_NOW.id, "active_listening", completed_on), TODAY)
    assert (refused.value.problems[0].field, refused.value.problems[0].rule) == ("completed_on", rule)
    for edge in (date(2026, 6, 1), TODAY):
        assert decide_training_module(MENTOR_NOW, RecordTrainingModule(MENTOR_NOW.id, "active_listening", edge), TODAY)
