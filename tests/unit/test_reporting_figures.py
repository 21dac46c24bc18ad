"""Reporting's definitions on small hand-made histories whose right answers are worked out here."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time

import pytest

from services.reporting.domain.plan import (
    FLANDERS,
    SUBSIDY_KEUR,
    YEARS,
    cost_per_duo,
    overall_cost_per_duo,
    plan_rows,
    planned,
)
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, add_months, figures, trail
from services.reporting.domain.rollup import rollup
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant

AS_OF = date(2026, 11, 27)
BELGIUM = Slice(Tenant.BE)


class History:
    """Builds envelopes the way the services record them."""

    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []

    def add(
        self,
        event_type: str,
        data: dict,
        on: date,
        office: str = "be-antwerpen",
        tenant: Tenant = Tenant.BE,
        recorded: date | None = None,
    ) -> EventEnvelope:
        moment = datetime.combine(on, time(10), UTC)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(),
            event_type=event_type,
            schema_version=1,
            stream_id=f"s-{uuid.uuid4()}",
            stream_version=1,
            tenant=tenant,
            office=office,
            occurred_at=moment,
            recorded_at=datetime.combine(recorded, time(10), UTC) if recorded else moment,
            actor="staff-1",
            correlation_id=uuid.uuid4(),
            data={k: (str(v) if isinstance(v, uuid.UUID | date) else v) for k, v in data.items()},
        )
        self.events.append(envelope)
        return envelope

    def duo(
        self,
        formed: date,
        ended: date | None = None,
        reason: str = "completed",
        office: str = "be-antwerpen",
        mentor: uuid.UUID | None = None,
        days_to_match: int = 20,
        tenant: Tenant = Tenant.BE,
        duo_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        duo_id, mentee = duo_id or uuid.uuid4(), uuid.uuid4()
        self.add(
            "DuoFormed",
            {
                "duo_id": duo_id,
                "proposal_id": uuid.uuid4(),
                "mentee_id": mentee,
                "mentor_id": mentor or uuid.uuid4(),
                "province": None,
                "job_target_sector": "Q",
                "formed_on": formed,
                "days_to_match": days_to_match,
                "score": 0.8,
                "config_version": "x",
            },
            formed,
            office,
            tenant,
        )
        if ended:
            self.add(
                "DuoEnded",
                {"duo_id": duo_id, "mentee_id": mentee, "mentor_id": uuid.uuid4(), "ended_on": ended, "reason": reason},
                ended,
                office,
                tenant,
            )
        return duo_id

    def of(self, duo_id: uuid.UUID, event_type: str, on: date, **data) -> None:
        self.add(event_type, {"duo_id": duo_id, **data}, on)

    def figures(self, where: Slice = BELGIUM, as_of: date = AS_OF, **kwargs) -> dict:
        return figures(programme_of(self.events), where, as_of, **kwargs).model_dump()


def test_positive_exit_counts_a_job_training_or_internship_up_to_12_months_after_the_end():
    h = History()
    job = h.duo(date(2025, 1, 1), date(2025, 7, 1))
    h.of(job, "JobFound", date(2026, 6, 1), started_on="2026-06-30", contract_type="permanent")
    late = h.duo(date(2025, 1, 1), date(2025, 7, 1))
    h.of(late, "TrainingStarted", date(2026, 8, 1), started_on="2026-08-01", qualifying=True)
    intern = h.duo(date(2025, 2, 1), date(2025, 8, 1))
    h.of(intern, "InternshipStarted", date(2025, 5, 1), started_on="2025-05-01")  # during the duo counts
    h.duo(date(2025, 3, 1), date(2025, 9, 1))  # nothing
    h.duo(date(2026, 10, 1))  # not ended: not in the denominator
    positive = h.figures()["positive_exit"]
    assert (positive["numerator"], positive["denominator"], positive["rate"]) == (2, 4, 0.5)
    assert positive["definition"] == "positive-exit/v1"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ("sustainable-work-memorandum/v1", 3),  # permanent, agency 6 months, 3 extended to 6; not 3 months flat
        ("sustainable-work-published/v1", 4),  # 3 months or more also counts the 3-month contract
    ],
)
def test_sustainable_work_follows_the_definition_asked_for_and_says_which(definition, expected):
    h = History()
    for contract, months in (("permanent", None), ("temporary_agency", 6), ("fixed_term", 3), ("other", 12)):
        duo = h.duo(date(2025, 1, 1), date(2025, 6, 1))
        h.of(duo, "JobFound", date(2025, 7, 1), started_on="2025-07-01", contract_type=contract, contract_months=months)
    extended = h.duo(date(2025, 1, 1), date(2025, 6, 1))
    h.of(extended, "JobFound", date(2025, 7, 1), started_on="2025-07-01", contract_type="fixed_term", contract_months=3)
    h.of(extended, "ContractExtended", date(2025, 9, 1), contract_months=6)
    work = h.figures(definitions=definition)["sustainable_work"]
    assert (work["numerator"], work["denominator"], work["definition"]) == (expected, 5, definition)


def test_mentor_retention_is_mentors_whose_first_duo_ended_and_who_formed_another():
    h = History()
    stayed, left, busy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    h.duo(date(2025, 1, 1), date(2025, 7, 1), mentor=stayed)
    h.duo(date(2025, 8, 1), mentor=stayed)
    h.duo(date(2025, 1, 1), date(2025, 7, 1), mentor=left)
    h.duo(date(2026, 1, 1), mentor=busy)  # first duo not ended: not counted either way
    retention = h.figures()["mentor_retention"]
    assert (retention["numerator"], retention["denominator"], retention["rate"]) == (1, 2, 0.5)


def test_active_mentors_on_a_date_are_trained_and_not_yet_gone():
    h = History()
    for trained, left in (
        (date(2025, 1, 1), None),
        (date(2025, 1, 1), date(2026, 12, 1)),
        (date(2025, 1, 1), date(2026, 1, 1)),
        (date(2026, 12, 20), None),
    ):
        mentor = uuid.uuid4()
        h.add("MentorTrainingCompleted", {"mentor_id": mentor}, trained)
        if left:
            h.add("MentorWithdrawn", {"mentor_id": mentor, "reason": "health"}, left)
    assert h.figures()["active_mentors"]["count"] == 2
    assert h.figures(as_of=date(2025, 6, 1))["active_mentors"]["count"] == 3


def test_time_to_match_early_endings_meetings_and_topics():
    h = History()
    for days in (10, 20, 40, 100):
        h.duo(
            date(2026, 1, 1), date(2026, 5, 1), reason="lost_contact" if days == 40 else "completed", days_to_match=days
        )
    duo = h.duo(date(2026, 2, 1), days_to_match=30)
    h.of(
        duo,
        "MeetingLogged",
        date(2026, 2, 8),
        met_on="2026-02-08",
        duration_minutes=90,
        mode="online",
        topics=["job_search", "housing"],
    )
    f = h.figures()
    assert f["time_to_match"]["median_days"] == 30
    assert f["time_to_match"]["distribution"] == {"0-14": 1, "15-30": 2, "31-60": 1, "61-90": 0, "91+": 1}
    assert f["early_endings_by_reason"] == {"lost_contact": 1}
    assert f["meetings"] == {"total": 1, "per_duo": 0.2, "hours_per_duo": 0.3}
    assert f["topics"] == {"job_search": 1, "housing": 1}


def test_inactive_duos_and_follow_ups_due():
    h = History()
    recent = h.duo(date(2026, 9, 1))
    h.of(recent, "MeetingLogged", date(2026, 11, 20), met_on="2026-11-20", duration_minutes=60, mode="in_person")
    quiet = h.duo(date(2026, 9, 1))
    h.of(quiet, "MeetingLogged", date(2026, 10, 20), met_on="2026-10-20", duration_minutes=60, mode="in_person")
    ended = h.duo(date(2025, 10, 1), date(2026, 4, 15))  # 3 and 6 months have come, 12 not yet
    h.of(ended, "FollowUpRecorded", date(2026, 7, 20), months=3, status="employed")
    f = h.figures()
    assert f["inactive_duos"]["count"] == 1
    assert (f["follow_ups"]["done"], f["follow_ups"]["due"]) == (1, 1)


def test_the_same_history_in_any_order_and_redelivered_gives_the_same_figures():
    h = History()
    for i in range(12):
        duo = h.duo(date(2025, 1 + i % 12, 1), date(2025, 12, 1) if i % 2 else None, days_to_match=i * 7)
        h.of(duo, "JobFound", date(2026, 1, 1), started_on="2026-01-01", contract_type="fixed_term", contract_months=i)
        h.of(duo, "MeetingLogged", date(2025, 3, 1), met_on="2025-03-01", duration_minutes=60, mode="phone")
    expected = h.figures()
    rng = random.Random(2026)
    for _ in range(5):
        shuffled = h.events + rng.sample(h.events, k=10)  # ten redelivered
        rng.shuffle(shuffled)
        assert figures(programme_of(shuffled), Slice(Tenant.BE), AS_OF).model_dump() == expected


def test_as_of_a_date_counts_only_what_was_recorded_by_then():
    h = History()
    h.duo(date(2026, 1, 1))
    late = h.duo(date(2026, 3, 1))
    for event in h.events:
        if event.data.get("duo_id") == str(late):
            h.events.remove(event)
            h.events.append(event.model_copy(update={"recorded_at": datetime(2026, 6, 1, tzinfo=UTC)}))
    assert figures(programme_of(h.events, datetime(2026, 5, 1, tzinfo=UTC)), Slice(Tenant.BE), AS_OF).duos_formed == 1
    assert h.figures()["duos_formed"] == 2


def test_slices_by_office_province_and_year():
    h = History()
    h.duo(date(2025, 5, 1), office="be-gent")
    h.duo(date(2026, 5, 1), office="be-aalst")
    h.duo(date(2026, 5, 1), office="be-brussel")
    assert h.figures(Slice(Tenant.BE, office="be-gent"))["duos_formed"] == 1
    assert h.figures(Slice(Tenant.BE, province="Oost-Vlaanderen"))["duos_formed"] == 2
    assert h.figures(Slice(Tenant.BE, year=2026))["duos_formed"] == 2
    assert h.figures(Slice(Tenant.NL))["duos_formed"] == 0


def test_the_federations_roll_up_suppresses_small_cells():
    h = History()
    for _ in range(7):
        h.duo(date(2026, 1, 1))
    for _ in range(2):
        h.duo(date(2026, 1, 1), office="nl-rotterdam", tenant=Tenant.NL)
    p = programme_of(h.events)
    table = rollup({t.value: figures(p, Slice(t), AS_OF) for t in Tenant}).model_dump()
    assert table["by_branch"]["NL"]["duos_formed"] is None  # 2 people: suppressed
    assert table["by_branch"]["BE"]["duos_formed"] is None  # else 9 - 7 - 0 gives NL's 2 back
    assert table["by_branch"]["FR"]["duos_formed"] == 0
    assert table["total"]["duos_formed"] == 9 and table["suppressed_below"] == 5


def test_the_plan_is_computed_from_its_years():
    assert [planned("Flanders", y) for y in YEARS] == [451, 545, 630, 725]
    assert sum(planned("Flanders", y) for y in YEARS) == 2351 and sum(planned("Brussels", y) for y in YEARS) == 2450
    assert sum(SUBSIDY_KEUR["Brussels"]) == 4979  # the memorandum prints 4,978
    assert overall_cost_per_duo() == {"budget_eur": 14_470_000, "planned_duos": 4801, "cost_per_duo_eur": 3014}
    assert cost_per_duo("Flanders")["2024-2027"] == 3130 and cost_per_duo("Brussels")["2024-2027"] == 2903
    rows = {(r.area, r.year): r for r in plan_rows({("Antwerpen", 2025): 140, ("Brussels", 2025): 600})}
    assert rows[("Antwerpen", 2025)].share == 0.5 and rows[("Flanders", 2025)].formed == 140
    assert rows[("Brussels", 0)].planned == 2450 and set(FLANDERS) <= {a for a, _ in rows}


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 12) == date(2027, 11, 15)


def test_the_audit_trail_of_a_figure_names_the_events_it_counts_and_its_definition():
    h = History()
    counted = h.duo(date(2025, 1, 1), date(2025, 6, 1))
    h.of(
        counted,
        "JobFound",
        date(2025, 7, 1),
        job_id=str(uuid.uuid4()),
        started_on="2025-07-01",
        contract_type="permanent",
    )
    h.duo(date(2025, 1, 1), date(2025, 6, 1))
    p = programme_of(h.events)
    formed = trail(p, BELGIUM, AS_OF, "duos_formed")
    assert len(formed["event_ids"]) == 2 and formed["definition"] == "DuoFormed events"
    positive = trail(p, BELGIUM, AS_OF, "positive_exit")
    ids = {str(e) for e in positive["event_ids"]}
    counted_events = {str(e.event_id) for e in h.events if e.data.get("duo_id") == str(counted)}
    assert ids == counted_events and positive["definition"] == "positive-exit/v1" and positive["denominator_duos"] == 2
