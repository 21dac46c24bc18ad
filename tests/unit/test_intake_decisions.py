"""Intake's decisions: state and command in, events (or a refusal) out. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.intake.adapters.rules_files import load_rule_book
from services.intake.domain.commands import (
    Availability,
    ChangeMenteeProfile,
    ChangeMentorProfile,
    Consents,
    MigrationBackground,
    PersonalDetails,
    RecordTrainingModule,
    RecordTrainingModules,
    RegisterMentee,
    RegisterMentor,
    WithdrawMentee,
    WithdrawMentor,
)
from services.intake.domain.errors import PersonWithdrawn
from services.intake.domain.mentee import MenteeState
from services.intake.domain.mentee import decide_application as decide_mentee_application
from services.intake.domain.mentee import decide_change as decide_mentee_change
from services.intake.domain.mentee import decide_withdrawal as decide_mentee_withdrawal
from services.intake.domain.mentor import MentorState, decide_training_module, decide_training_modules
from services.intake.domain.mentor import decide_change as decide_mentor_change
from services.intake.domain.mentor import decide_registration as decide_mentor_registration
from services.intake.domain.mentor import decide_withdrawal as decide_mentor_withdrawal
from services.intake.domain.training import TRAINING_MODULES
from shared.commanding.errors import InvalidField
from shared.commanding.errors import NotFound as PersonNotFound
from shared.events.catalog import (
    MenteeApplicationRejected,
    MenteeRegistered,
    MenteeWithdrawn,
    MentorApplicationRejected,
    MentorRegistered,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    SectorExperience,
)
from shared.tenancy import Tenant

TODAY = date(2026, 6, 15)
BOOK = load_rule_book()  # the shipped files, read at the edge: decisions take the rules as data
RULES = {tenant: BOOK.in_force(tenant, TODAY) for tenant in Tenant}
BOTH = Consents(True, True)


def mentee(**changes) -> RegisterMentee:
    base = RegisterMentee(
        uuid.uuid4(),
        uuid.uuid4(),
        "be-gent",
        PersonalDetails("A", "B", "a@example.org", None, date(2000, 1, 1)),
        MigrationBackground(("CD",), False, "international_protection"),
        ("fr", "ln"),
        "Q",
        "nurse",
        Availability(3, ("mon-evening",)),
        BOTH,
    )
    return replace(base, **changes)


def mentor(**changes) -> RegisterMentor:
    base = RegisterMentor(
        uuid.uuid4(),
        "be-gent",
        PersonalDetails("C", "D", "c@example.org", None, date(1960, 1, 1)),
        (SectorExperience(sector="C", years=30),),
        ("nl",),
        Availability(2),
        2,
        BOTH,
    )
    return replace(base, **changes)


MENTEE_NOW = MenteeState(
    mentee_id=uuid.uuid4(),
    version=1,
    tenant=Tenant.BE,
    office="be-gent",
    status="registered",
    job_target_sector="Q",
    languages=("fr",),
    weekly_availability_hours=3.0,
)
MENTOR_NOW = MentorState(
    mentor_id=uuid.uuid4(),
    version=1,
    tenant=Tenant.BE,
    office="be-gent",
    status="in_training",
    experience=(SectorExperience(sector="C", years=30),),
    languages=("nl",),
    capacity=1,
    registered_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
)


def test_an_eligible_application_registers_the_mentee_with_an_age_band_and_no_personal_data():
    cmd = mentee()
    decision = decide_mentee_application(cmd, RULES[Tenant.BE], TODAY)
    assert decision.problems == ()
    assert decision.event == MenteeRegistered(
        mentee_id=cmd.mentee_id,
        job_target_sector="Q",
        languages=("fr", "ln"),
        weekly_availability_hours=3,
        available_day_parts=("mon-evening",),
        age_band="25-29",
        consents=("data_processing", "voluntary_participation"),
    )


def test_an_ineligible_application_is_a_rejection_with_every_failed_rule():
    cmd = mentee(background=MigrationBackground(("CD",), False, "asylum_seeker"), languages=("ln",))
    decision = decide_mentee_application(cmd, RULES[Tenant.BE], TODAY)
    assert isinstance(decision.event, MenteeApplicationRejected)
    assert decision.event.application_id == cmd.application_id
    assert decision.event.failed_rules == ("long_term_residence_permit", "programme_language")
    assert [p.field for p in decision.problems] == ["residence_permit", "languages"]


@pytest.mark.parametrize("consents", [Consents(False, True), Consents(True, False)])
def test_nobody_is_registered_or_recorded_without_both_consents(consents):
    with pytest.raises(InvalidField) as refused:
        decide_mentee_application(mentee(consents=consents), RULES[Tenant.BE], TODAY)
    assert refused.value.problems[0].rule == "consent_required"
    with pytest.raises(InvalidField):
        decide_mentor_registration(mentor(consents=consents), RULES[Tenant.BE], TODAY)


def test_a_mentor_registration_carries_sectors_capacity_and_age_band():
    event = decide_mentor_registration(mentor(), RULES[Tenant.BE], TODAY).event
    assert isinstance(event, MentorRegistered) and event.rules_version == "2024.1"
    assert event.sectors == ("C",) and event.capacity == 2 and event.age_band == "65-69"


def test_a_mentor_under_50_is_not_eligible():
    young = mentor(personal=PersonalDetails("C", "D", "c@example.org", None, date(1980, 1, 1)))
    refused = decide_mentor_registration(young, RULES[Tenant.BE], TODAY)
    assert [p.rule for p in refused.problems] == ["min_age"]
    assert isinstance(refused.event, MentorApplicationRejected)
    assert refused.event.failed_rules == ("min_age",) and refused.event.rules_version == "2024.1"
    assert refused.event.application_id == young.application and refused.event.age_band == "35-49"


def test_a_mentee_change_names_only_what_changed():
    cmd = ChangeMenteeProfile(
        MENTEE_NOW.id, languages=("fr",), job_target_sector="I", availability=Availability(3.0, ("sat-morning",))
    )
    [event] = decide_mentee_change(MENTEE_NOW, cmd, RULES[Tenant.BE], occupation_now="nurse")
    assert event.changed_fields == ("job_target_sector", "available_day_parts")
    assert event.languages is None and event.weekly_availability_hours is None


def test_an_occupation_change_is_recorded_without_its_text():
    cmd = ChangeMenteeProfile(MENTEE_NOW.id, job_target_sector="Q", job_target_occupation="midwife")
    [event] = decide_mentee_change(MENTEE_NOW, cmd, RULES[Tenant.BE], occupation_now="nurse")
    assert event.changed_fields == ("job_target_occupation",)
    assert "midwife" not in event.model_dump_json()


def test_a_change_that_changes_nothing_appends_nothing():
    cmd = ChangeMenteeProfile(MENTEE_NOW.id, languages=("fr",), job_target_occupation="nurse")
    assert decide_mentee_change(MENTEE_NOW, cmd, RULES[Tenant.BE], occupation_now="nurse") == []


def test_languages_cannot_change_to_none_of_the_programme_languages():
    cmd = ChangeMenteeProfile(MENTEE_NOW.id, languages=("ar",))
    with pytest.raises(InvalidField) as refused:
        decide_mentee_change(MENTEE_NOW, cmd, RULES[Tenant.BE], None)
    assert refused.value.problems[0].field == "languages"


def test_a_mentor_change_of_experience_also_changes_sectors():
    new = (SectorExperience(sector="F", years=10),)
    [event] = decide_mentor_change(
        MENTOR_NOW, ChangeMentorProfile(MENTOR_NOW.id, experience=new, capacity=3), RULES[Tenant.BE]
    )
    assert (
        event.sectors == ("F",)
        and event.capacity == 3
        and event.changed_fields == ("experience", "sectors", "capacity")
    )


def test_training_modules_count_once_and_the_eighth_completes_the_training():
    module = RecordTrainingModule(MENTOR_NOW.id, "active_listening", TODAY)
    assert [type(e) for e in decide_training_module(MENTOR_NOW, module, TODAY)] == [MentorTrainingModuleCompleted]
    done = replace(MENTOR_NOW, modules_completed=("active_listening",))
    assert decide_training_module(done, module, TODAY) == []
    seven = replace(MENTOR_NOW, modules_completed=tuple(TRAINING_MODULES)[:-1])
    last = RecordTrainingModule(MENTOR_NOW.id, tuple(TRAINING_MODULES)[-1], TODAY)
    assert [type(e) for e in decide_training_module(seven, last, TODAY)] == [
        MentorTrainingModuleCompleted,
        MentorTrainingCompleted,
    ]


def test_modules_at_once_are_decided_one_after_the_other_and_the_last_completes_the_training():
    every = tuple(RecordTrainingModule(MENTOR_NOW.id, m, TODAY) for m in TRAINING_MODULES)
    twice = (every[0], *every, every[3])  # listed twice: counted once
    events = decide_training_modules(MENTOR_NOW, RecordTrainingModules(MENTOR_NOW.id, twice), TODAY)
    assert [type(e) for e in events] == [MentorTrainingModuleCompleted] * len(TRAINING_MODULES) + [
        MentorTrainingCompleted
    ]
    assert [e.module for e in events if isinstance(e, MentorTrainingModuleCompleted)] == list(TRAINING_MODULES)
    trained = replace(MENTOR_NOW, modules_completed=tuple(TRAINING_MODULES), training_completed=True)
    assert decide_training_modules(trained, RecordTrainingModules(MENTOR_NOW.id, every[:2]), TODAY) == []


def test_a_refused_module_is_named_by_its_place_in_the_list():
    good = RecordTrainingModule(MENTOR_NOW.id, "active_listening", TODAY)
    cases = [
        ((good, RecordTrainingModule(MENTOR_NOW.id, "knitting", TODAY)), "modules.1.module", "known_module"),
        (
            (RecordTrainingModule(MENTOR_NOW.id, "code_of_conduct", date(2026, 6, 16)), good),
            "modules.0.completed_on",
            "not_in_future",
        ),
        ((), "modules", "modules_required"),
    ]
    for modules, field, rule in cases:
        with pytest.raises(InvalidField) as refused:
            decide_training_modules(MENTOR_NOW, RecordTrainingModules(MENTOR_NOW.id, modules), TODAY)
        assert (refused.value.problems[0].field, refused.value.problems[0].rule) == (field, rule)


def test_an_unknown_training_module_is_refused():
    with pytest.raises(InvalidField):
        decide_training_module(MENTOR_NOW, RecordTrainingModule(MENTOR_NOW.id, "knitting", TODAY), TODAY)


def test_withdrawal_records_the_reason_once():
    [event] = decide_mentee_withdrawal(MENTEE_NOW, WithdrawMentee(MENTEE_NOW.id, "moved_away"))
    assert isinstance(event, MenteeWithdrawn) and event.reason == "moved_away"
    with pytest.raises(PersonWithdrawn):
        decide_mentee_withdrawal(replace(MENTEE_NOW, status="withdrawn"), WithdrawMentee(MENTEE_NOW.id, "other"))
    with pytest.raises(PersonWithdrawn):
        decide_mentor_change(
            replace(MENTOR_NOW, status="withdrawn"),
            ChangeMentorProfile(MENTOR_NOW.id, capacity=2),
            RULES[Tenant.BE],
        )


def test_nobody_unknown_can_change_or_withdraw():
    with pytest.raises(PersonNotFound):
        decide_mentor_withdrawal(MentorState(), WithdrawMentor(uuid.uuid4(), "health"))
