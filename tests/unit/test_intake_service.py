"""Intake's handlers in memory: load, decide, append, and the vault and people list kept in step, with no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pytest

from services.intake import service
from services.intake.adapters.memory import InMemoryPeople, InMemoryVault
from services.intake.domain import commands
from services.intake.domain.commands import (
    ChangeMenteeProfile,
    ChangeMentorProfile,
    EraseMentee,
    RecordTrainingModule,
    WithdrawMentee,
    WithdrawMentor,
)
from services.intake.domain.errors import DuplicatePerson, PersonErased, PersonWithdrawn
from services.intake.domain.training import TRAINING_MODULES
from services.intake.service import IntakeUnit
from shared.commanding.caller import Caller
from shared.commanding.errors import InvalidField, NotFound, OutsideOffices
from shared.eventstore.base import WrongExpectedVersion
from shared.eventstore.memory import InMemoryEventStore
from shared.tenancy import Tenant
from tests.unit.test_intake_decisions import BOOK, mentee, mentor

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def caller(
    tenant: Tenant = Tenant.BE,
    expected_version: int | None = None,
    now: datetime = NOW,
    offices: set[str] | None = None,
) -> Caller:
    return Caller(
        "coordinator-1",
        tenant,
        uuid.uuid4(),
        now,
        expected_version,
        offices=frozenset(offices) if offices is not None else None,
    )


@dataclass
class Intake:
    """Intake's handlers on an in-memory store, vault and people list."""

    store: InMemoryEventStore = field(default_factory=InMemoryEventStore)
    people: InMemoryPeople = field(default_factory=InMemoryPeople)
    vault: InMemoryVault = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.vault = InMemoryVault(self.people)

    async def run(self, command, who: Caller | None = None):
        async with self.store.transaction() as tx:
            unit = IntakeUnit(tx, self.store, self.vault, self.people, BOOK)
            return await service.execute(unit, command, who or caller())

    async def types(self, stream_id: str) -> list[str]:
        return [e.event_type for e in await self.store.read_stream(stream_id)]


async def test_an_eligible_mentee_is_registered_with_the_vault_and_the_list_in_step():
    intake, cmd = Intake(), mentee()
    outcome = await intake.run(cmd)
    assert outcome.refused == () and outcome.person.version == 1 and outcome.person.status == "registered"
    assert await intake.types(f"mentee-{cmd.mentee_id}") == ["MenteeRegistered"]
    assert (await intake.vault.read(cmd.mentee_id, Tenant.BE))["email"] == "a@example.org"
    assert intake.people.rows[cmd.mentee_id] == outcome.person
    [event] = await intake.store.read_stream(f"mentee-{cmd.mentee_id}")
    assert event.occurred_at == NOW and event.actor == "coordinator-1"


async def test_an_ineligible_application_is_recorded_on_its_own_stream_and_keeps_no_personal_data():
    intake, cmd = Intake(), mentee(personal=replace(mentee().personal, birth_date=date(1980, 1, 1)))
    outcome = await intake.run(cmd)
    assert outcome.person is None and [p.rule for p in outcome.refused] == ["max_age"]
    assert await intake.types(f"application-{cmd.application_id}") == ["MenteeApplicationRejected"]
    assert await intake.types(f"mentee-{cmd.mentee_id}") == []
    assert intake.vault.records == {} and intake.people.rows == {}


async def test_a_known_email_in_another_spelling_is_a_duplicate_and_changes_nothing():
    intake = Intake()
    first = await intake.run(mentee())
    again = mentee(personal=replace(mentee().personal, email="A@EXAMPLE.org"))
    with pytest.raises(DuplicatePerson) as refused:
        await intake.run(again)
    assert refused.value.existing_id == first.person.mentee_id and refused.value.existing_status == "registered"
    assert await intake.types(f"mentee-{again.mentee_id}") == [] and len(intake.vault.records) == 1


async def test_the_same_email_in_another_branch_is_another_person():
    intake = Intake()
    await intake.run(mentee())
    outcome = await intake.run(mentee(office="nl-amsterdam", languages=("nl",)), caller(Tenant.NL))
    assert outcome.person.tenant is Tenant.NL


async def test_an_office_of_another_branch_is_refused_before_anything_is_written():
    intake = Intake()
    with pytest.raises(InvalidField) as refused:
        await intake.run(mentee(office="fr-paris"))
    assert refused.value.problems[0].rule == "office_of_branch"
    assert intake.vault.records == {}


async def test_a_changed_occupation_goes_to_the_vault_and_only_its_name_to_the_event():
    intake, cmd = Intake(), mentee()
    await intake.run(cmd)
    state = await intake.run(ChangeMenteeProfile(cmd.mentee_id, job_target_occupation="cook", job_target_sector="I"))
    assert state.version == 2 and state.job_target_sector == "I" and intake.people.rows[cmd.mentee_id] == state
    assert (await intake.vault.read(cmd.mentee_id, Tenant.BE))["job_target_occupation"] == "cook"
    changed = (await intake.store.read_stream(f"mentee-{cmd.mentee_id}"))[-1]
    assert changed.data["changed_fields"] == ["job_target_sector", "job_target_occupation"]
    assert "cook" not in str(changed.data)


async def test_if_match_must_name_the_current_version_even_for_a_change_that_changes_nothing():
    intake, cmd = Intake(), mentee()
    await intake.run(cmd)
    with pytest.raises(WrongExpectedVersion):
        await intake.run(ChangeMenteeProfile(cmd.mentee_id, job_target_sector="I"), caller(expected_version=3))
    with pytest.raises(WrongExpectedVersion):
        await intake.run(ChangeMenteeProfile(cmd.mentee_id, job_target_sector="Q"), caller(expected_version=3))
    same = await intake.run(ChangeMenteeProfile(cmd.mentee_id, job_target_sector="Q"), caller(expected_version=1))
    assert same.version == 1 and await intake.types(f"mentee-{cmd.mentee_id}") == ["MenteeRegistered"]


async def test_another_branchs_person_is_not_found():
    intake, cmd = Intake(), mentee()
    await intake.run(cmd)
    with pytest.raises(NotFound):
        await intake.run(WithdrawMentee(cmd.mentee_id, "other"), caller(Tenant.FR))
    async with intake.store.transaction() as tx:
        unit = IntakeUnit(tx, intake.store, intake.vault, intake.people, BOOK)
        with pytest.raises(NotFound):
            await service.mentee_profile(unit, cmd.mentee_id, caller(Tenant.FR))
        state, personal = await service.mentee_profile(unit, cmd.mentee_id, caller(Tenant.BE))
    assert state.version == 1 and personal["first_name"] == "A"


async def test_a_mentor_trains_module_by_module_on_the_branchs_today_and_becomes_ready():
    intake, cmd = Intake(), mentor()
    state = (await intake.run(cmd)).person
    assert state.status == "in_training"
    for module in TRAINING_MODULES:
        state = await intake.run(RecordTrainingModule(cmd.mentor_id, module, NOW.date()))
    assert state.status == "ready" and state.ready_for_matching and intake.people.rows[cmd.mentor_id] == state
    events = await intake.types(f"mentor-{cmd.mentor_id}")
    assert events[-1] == "MentorTrainingCompleted" and len(events) == 1 + len(TRAINING_MODULES) + 1
    with pytest.raises(InvalidField):  # tomorrow in Brussels is after the caller's today
        await intake.run(RecordTrainingModule(cmd.mentor_id, "active_listening", date(2026, 6, 16)))


async def test_an_ineligible_mentor_is_recorded_as_a_refused_application_and_keeps_no_personal_data():
    intake = Intake()
    cmd = mentor(personal=replace(mentor().personal, birth_date=date(1990, 1, 1)), application_id=uuid.uuid4())
    outcome = await intake.run(cmd)
    assert outcome.person is None and [p.rule for p in outcome.refused] == ["min_age"]
    assert intake.vault.records == {} and intake.people.rows == {}
    assert await intake.types(f"application-{cmd.application_id}") == ["MentorApplicationRejected"]
    assert await intake.types(f"mentor-{cmd.mentor_id}") == []


async def test_a_withdrawn_mentor_can_no_longer_change():
    intake, cmd = Intake(), mentor()
    await intake.run(cmd)
    left = await intake.run(WithdrawMentor(cmd.mentor_id, "health"))
    assert left.status == "withdrawn" and intake.people.rows[cmd.mentor_id].status == "withdrawn"
    with pytest.raises(PersonWithdrawn):
        await intake.run(ChangeMentorProfile(cmd.mentor_id, capacity=2))


async def test_a_failed_command_appends_nothing():
    intake, cmd = Intake(), mentee()
    await intake.run(cmd)
    with pytest.raises(InvalidField):
        await intake.run(ChangeMenteeProfile(cmd.mentee_id, languages=("ar",)))
    assert await intake.types(f"mentee-{cmd.mentee_id}") == ["MenteeRegistered"]


async def test_an_ineligible_application_with_a_known_email_does_not_say_the_email_is_known():
    intake = Intake()
    await intake.run(mentee())
    outcome = await intake.run(mentee(personal=replace(mentee().personal, birth_date=date(1980, 1, 1))))
    assert [p.rule for p in outcome.refused] == ["max_age"]  # not a duplicate: that would confirm the address


async def test_a_coordinator_limited_to_offices_acts_only_there_and_finds_nobody_elsewhere():
    intake, at_gent = Intake(), mentee(office="be-gent")
    await intake.run(at_gent)
    antwerp = caller(offices={"be-antwerpen"})
    with pytest.raises(OutsideOffices):
        await intake.run(mentee(office="be-gent", personal=replace(mentee().personal, email="b@example.org")), antwerp)
    with pytest.raises(NotFound):
        await intake.run(WithdrawMentee(at_gent.mentee_id, "other"), antwerp)
    left = await intake.run(WithdrawMentee(at_gent.mentee_id, "other"), caller(offices={"be-gent"}))
    assert left.status == "withdrawn"


async def test_erasure_removes_the_personal_data_closes_the_record_and_is_recorded_once():
    intake, cmd = Intake(), mentee()
    await intake.run(cmd)
    erased = await intake.run(EraseMentee(cmd.mentee_id, "data_subject_request"))
    assert erased.status == "erased" and not erased.ready_for_matching and intake.vault.records == {}
    assert intake.people.rows[cmd.mentee_id].status == "erased"
    assert (await intake.types(f"mentee-{cmd.mentee_id}"))[-1] == "PersonalDataErased"
    with pytest.raises(PersonErased):
        await intake.run(EraseMentee(cmd.mentee_id, "data_subject_request"))
    with pytest.raises(PersonErased):
        await intake.run(ChangeMenteeProfile(cmd.mentee_id, job_target_sector="I"))


def test_every_command_has_a_handler():
    declared = {
        cls
        for name, cls in vars(commands).items()
        if isinstance(cls, type)
        and cls.__module__ == commands.__name__
        and name.startswith(("Register", "Change", "Record", "Withdraw", "Erase", "Rejoin"))
    }
    assert declared == set(service.HANDLERS)
