"""A mentor's employment in intake (in memory): the status and the employer's release travel in
MentorEmploymentRecorded, the employer's name stays in the mentor's personal data; refusals name their field and
change nothing. And reporting's fold on a small hand-made history: still-working and employer-released mentors
among the active ones, the last status recorded by the day counting, "unknown" for mentors with none."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.intake.domain.commands import RecordMentorEmployment, WithdrawMentor
from services.intake.domain.errors import PersonWithdrawn
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import figures
from shared.commanding.errors import InvalidField
from shared.tenancy import Tenant
from tests.unit.test_intake_decisions import mentor
from tests.unit.test_intake_service import Intake
from tests.unit.test_reporting_figures import BELGIUM, History


async def registered(intake: Intake) -> uuid.UUID:
    cmd = mentor()
    await intake.run(cmd)
    return cmd.mentor_id


async def test_the_status_and_the_release_are_events_and_the_employer_stays_in_the_personal_data():
    intake = Intake()
    mentor_id = await registered(intake)
    state = await intake.run(RecordMentorEmployment(mentor_id, "employed", True, " Stad Antwerpen "))
    assert (state.employment_status, state.employer_released) == ("employed", True)
    events = await intake.store.read_stream(f"mentor-{mentor_id}")
    assert events[-1].event_type == "MentorEmploymentRecorded"
    assert events[-1].data == {"mentor_id": str(mentor_id), "status": "employed", "employer_released": True}
    assert (await intake.vault.read(mentor_id, Tenant.BE))["employer"] == "Stad Antwerpen"
    # The same status again records nothing new; retiring records it and forgets the employer.
    await intake.run(RecordMentorEmployment(mentor_id, "employed", True, "Stad Antwerpen"))
    assert len(await intake.store.read_stream(f"mentor-{mentor_id}")) == len(events)
    retired = await intake.run(RecordMentorEmployment(mentor_id, "retired"))
    assert (retired.employment_status, retired.employer_released) == ("retired", False)
    assert (await intake.vault.read(mentor_id, Tenant.BE))["employer"] is None


@pytest.mark.parametrize(
    ("status", "released", "employer", "field_name"),
    [
        ("pensioner", False, None, "status"),
        ("retired", True, None, "employer_released"),
        ("self_employed", False, "Atelier", "employer"),
        ("employed", False, "\u0007", "employer"),
    ],
)
async def test_a_refused_employment_names_its_field_and_changes_nothing(status, released, employer, field_name):
    intake = Intake()
    mentor_id = await registered(intake)
    with pytest.raises(InvalidField) as refused:
        await intake.run(RecordMentorEmployment(mentor_id, status, released, employer))
    assert refused.value.problems[0].field == field_name
    assert await intake.types(f"mentor-{mentor_id}") == ["MentorRegistered"]
    assert "employer" not in await intake.vault.read(mentor_id, Tenant.BE)


async def test_a_withdrawn_mentors_employment_is_not_recorded():
    intake = Intake()
    mentor_id = await registered(intake)
    await intake.run(WithdrawMentor(mentor_id, "health"))
    with pytest.raises(PersonWithdrawn):
        await intake.run(RecordMentorEmployment(mentor_id, "employed"))


def employment(h: History, mentor_id: uuid.UUID, status: str, released: bool, on: date) -> None:
    h.add("MentorEmploymentRecorded", {"mentor_id": mentor_id, "status": status, "employer_released": released}, on)


def test_still_working_and_employer_released_mentors_are_counted_among_the_active_ones():
    h = History()
    working, retiring, unknown, gone = (uuid.uuid4() for _ in range(4))
    for mentor_id in (working, retiring, unknown, gone):
        h.add("MentorTrainingCompleted", {"mentor_id": mentor_id}, date(2026, 1, 10))
    employment(h, working, "employed", True, date(2026, 1, 12))
    employment(h, retiring, "self_employed", False, date(2026, 1, 12))
    employment(h, retiring, "retired", False, date(2026, 6, 1))  # the last one recorded counts
    employment(h, gone, "employed", False, date(2026, 1, 12))
    h.add("MentorWithdrawn", {"mentor_id": gone, "reason": "health"}, date(2026, 3, 1))  # not active: not counted

    end_of_march = datetime(2026, 3, 31, 23, tzinfo=UTC)
    march = figures(programme_of(h.events, end_of_march), BELGIUM, date(2026, 3, 31)).mentor_employment
    assert march.model_dump() == {
        "by_status": {"employed": 1, "self_employed": 1},
        "unknown": 1,
        "still_working": 2,
        "employer_released": 1,
        "active_mentors": 3,
    }
    june = figures(programme_of(h.events), BELGIUM, date(2026, 6, 30)).mentor_employment
    assert june.by_status == {"employed": 1, "retired": 1} and june.still_working == 1  # the last one counts


def test_the_mentor_survey_is_also_counted_among_the_still_working_mentors_the_memorandums_base():
    h = History()
    answers = {
        ("employed", True): True,  # still working, and says the duo adds professional value
        ("self_employed", False): False,
        ("retired", False): True,  # not in the base
        (None, False): True,  # no status recorded: not in the base
    }
    for (status, _), adds_value in answers.items():
        mentor_id = uuid.uuid4()
        if status:
            employment(h, mentor_id, status, False, date(2025, 12, 1))
        duo = h.duo(date(2026, 1, 10), date(2026, 6, 1), mentor=mentor_id)
        survey = {"feels_useful": True, "adds_professional_value": adds_value}
        h.of(duo, "MentorSurveyRecorded", date(2026, 6, 1), **survey)
    surveys = h.figures()["surveys"]
    assert surveys["mentor.adds_professional_value"]["answered"] == 4
    assert surveys["mentor.adds_professional_value"]["yes"] == 3
    working = surveys["mentor_still_working.adds_professional_value"]
    assert (working["yes"], working["answered"], working["rate"]) == (1, 2, 0.5)
