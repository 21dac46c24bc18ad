"""A mentee's target-group facts: recorded in intake only with consent (in memory), counted by reporting's fold on
a small hand-made history ("unknown" without consent, the last facts recorded by the day counting), and a funder's
view with small cells hidden so that no sum gives one back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.intake.domain.commands import RecordTargetGroup, WithdrawMentee, WithdrawTargetGroupConsent
from services.reporting.domain.disclosure import Sum, determined
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import figures
from services.reporting.domain.target_groups import FACTS, TOTAL, protect_target_groups
from shared.commanding.errors import InvalidField
from tests.unit.test_intake_decisions import mentee
from tests.unit.test_intake_service import Intake
from tests.unit.test_reporting_figures import BELGIUM, History


async def registered(intake: Intake) -> uuid.UUID:
    cmd = mentee()
    await intake.run(cmd)
    return cmd.mentee_id


async def test_the_facts_are_recorded_with_consent_and_forgotten_when_it_is_withdrawn():
    intake = Intake()
    mentee_id = await registered(intake)
    stream = f"mentee-{mentee_id}"
    state = await intake.run(RecordTargetGroup(mentee_id, True, True, False, "6_to_12_months"))
    assert state.target_group is not None and state.target_group.neet
    [_, recorded] = await intake.store.read_stream(stream)
    assert recorded.data == {
        "mentee_id": str(mentee_id),
        "neet": True,
        "long_term_unemployed": False,
        "time_since_last_job": "6_to_12_months",
    }
    await intake.run(RecordTargetGroup(mentee_id, True, True, False, "6_to_12_months"))  # the same: nothing new
    await intake.run(WithdrawMentee(mentee_id, "moved_away"))
    forgotten = await intake.run(WithdrawTargetGroupConsent(mentee_id))  # a consent can always be withdrawn
    assert forgotten.target_group is None
    assert await intake.types(stream) == [
        "MenteeRegistered",
        "MenteeTargetGroupRecorded",
        "MenteeWithdrawn",
        "MenteeTargetGroupConsentWithdrawn",
    ]


@pytest.mark.parametrize(
    ("consent", "long_term", "since", "field_name"),
    [
        (False, False, "never_worked", "consent"),
        (True, False, "last_week", "time_since_last_job"),
        (True, True, "under_6_months", "long_term_unemployed"),
    ],
    ids=["no consent", "unknown band", "long-term with a recent job"],
)
async def test_without_consent_or_with_facts_not_holding_together_nothing_is_recorded(
    consent, long_term, since, field_name
):
    intake = Intake()
    mentee_id = await registered(intake)
    with pytest.raises(InvalidField) as refused:
        await intake.run(RecordTargetGroup(mentee_id, consent, True, long_term, since))
    assert refused.value.problems[0].field == field_name
    assert await intake.types(f"mentee-{mentee_id}") == ["MenteeRegistered"]


def registration(h: History, on: date) -> uuid.UUID:
    mentee_id = uuid.uuid4()
    h.add("MenteeRegistered", {"mentee_id": mentee_id, "job_target_sector": "Q"}, on)
    return mentee_id


def group(h: History, mentee_id: uuid.UUID, neet: bool, long_term: bool, since: str, on: date) -> None:
    data = {"mentee_id": mentee_id, "neet": neet, "long_term_unemployed": long_term, "time_since_last_job": since}
    h.add("MenteeTargetGroupRecorded", data, on)


def test_registered_mentees_are_counted_by_each_fact_unknown_without_consent():
    h = History()
    a, b, c, _ = (registration(h, date(2026, 1, 5)) for _ in range(4))
    group(h, a, True, False, "never_worked", date(2026, 1, 6))
    group(h, b, False, True, "24_months_or_more", date(2026, 1, 6))
    group(h, c, True, True, "12_to_24_months", date(2026, 1, 6))
    group(h, c, False, True, "12_to_24_months", date(2026, 5, 2))  # changed later
    h.add("MenteeTargetGroupConsentWithdrawn", {"mentee_id": b}, date(2026, 5, 3))

    march = programme_of(h.events, datetime(2026, 3, 31, 23, tzinfo=UTC))
    counted = figures(march, BELGIUM, date(2026, 3, 31)).target_groups
    assert counted.registered == 4
    assert counted.neet == {"yes": 2, "no": 1, "unknown": 1}
    assert counted.long_term_unemployed == {"yes": 2, "no": 1, "unknown": 1}
    assert counted.time_since_last_job == {
        "never_worked": 1,
        "under_6_months": 0,
        "6_to_12_months": 0,
        "12_to_24_months": 1,
        "24_months_or_more": 1,
        "unknown": 1,
    }
    june = figures(programme_of(h.events), BELGIUM, date(2026, 6, 30)).target_groups
    assert june.neet == {"yes": 1, "no": 1, "unknown": 2} and june.long_term_unemployed["unknown"] == 2


def test_a_funder_sees_no_small_cell_and_cannot_work_one_out():
    h = History()
    mentees = [registration(h, date(2026, 1, 5)) for _ in range(12)]
    for m in mentees[:9]:
        group(h, m, True, True, "24_months_or_more", date(2026, 1, 6))
    group(h, mentees[9], False, False, "under_6_months", date(2026, 1, 6))  # 1 not NEET: small
    full = figures(programme_of(h.events), BELGIUM, date(2026, 6, 30))
    shown = protect_target_groups(full).target_groups
    assert shown.registered == 12
    cells = {TOTAL: 12} | {(f, v): n for f in FACTS for v, n in getattr(full.target_groups, f).items()}
    hidden = {(f, v) for f in FACTS for v, n in getattr(shown, f).items() if n is None}
    assert ("neet", "no") in hidden and ("time_since_last_job", "under_6_months") in hidden
    for fact in FACTS:  # what is shown is the count itself
        assert all(n == cells[(fact, v)] for v, n in getattr(shown, fact).items() if n is not None)
    sums = [Sum(TOTAL, tuple(c for c in cells if c[0] == f)) for f in FACTS]
    assert determined(sums, hidden) == set()
    shown_small = [n for f in FACTS for n in getattr(shown, f).values() if n is not None and 0 < n < 5]
    assert shown_small == []
    # A coordinator's figures are the counts themselves.
    assert full.target_groups.neet == {"yes": 9, "no": 1, "unknown": 2}
