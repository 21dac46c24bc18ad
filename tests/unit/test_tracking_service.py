"""Tracking's handlers in memory: each loads the duo matching formed, decides, appends and keeps the duo's row in
step, with no I/O; a duo of another branch or office is not found, and a refusal changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest

from services.tracking import service
from services.tracking.adapters.memory import InMemoryDuos, InMemoryPartners
from services.tracking.domain.books import RecordMoneyFigure, RecordOpeningFigures
from services.tracking.domain.commands import (
    DrawUpActionPlan,
    EndDuo,
    ExtendContract,
    LogMeetings,
    MarkGoalReached,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordReferralOutcome,
    RecordTrainingStarted,
    ReferMentee,
)
from services.tracking.domain.duo import DuoFacts
from services.tracking.domain.errors import AlreadyRecorded
from services.tracking.domain.partner import RegisteredPartner, RegisterPartner
from services.tracking.service import TrackingUnit
from shared.commanding.caller import Caller
from shared.commanding.errors import InvalidField, NotFound, OutsideOffices
from shared.eventstore.memory import InMemoryEventStore
from shared.tenancy import Tenant
from tests.callers import coordinator
from tests.unit.test_tracking_duo import DUO_ID, FORMED, MENTEE, MENTOR, job, meeting

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
JOB_ID = uuid.uuid4()
PARTNER_ID, REFERRAL_ID = uuid.uuid4(), uuid.uuid4()


caller = partial(coordinator, now=NOW)


@dataclass
class Tracking:
    """Tracking's handlers on an in-memory store and duos' rows, with one duo formed at be-antwerpen."""

    store: InMemoryEventStore = field(default_factory=InMemoryEventStore)
    duos: InMemoryDuos = field(default_factory=InMemoryDuos)
    partners: InMemoryPartners = field(default_factory=InMemoryPartners)

    def __post_init__(self) -> None:
        self.duos.formed(DuoFacts(DUO_ID, Tenant.BE, "be-antwerpen", MENTEE, MENTOR, FORMED))

    async def run(self, command: Any, who: Caller | None = None) -> Any:
        async with self.store.transaction() as tx:
            unit = TrackingUnit(tx, self.store, self.duos, self.partners)
            return await service.execute(unit, command, who or caller())

    async def types(self) -> list[str]:
        return [e.event_type for e in await self.store.read_stream(f"duo-{DUO_ID}")]


# Every command tracking takes, in an order a duo can live them, and the event each records.
LIFE: list[tuple[Any, str]] = [
    (meeting(), "MeetingLogged"),
    (LogMeetings(DUO_ID, (meeting(),)), "MeetingLogged"),  # a month's logbook of one meeting
    (ReferMentee(DUO_ID, REFERRAL_ID, PARTNER_ID, date(2026, 6, 11), True), "MenteeReferred"),
    (RecordReferralOutcome(DUO_ID, REFERRAL_ID, "waiting_list"), "ReferralOutcomeRecorded"),
    (DrawUpActionPlan(DUO_ID, date(2026, 6, 10), ("find_job_in_sector", "improve_language")), "ActionPlanDrawnUp"),
    (MarkGoalReached(DUO_ID, "improve_language", date(2026, 6, 12)), "ActionPlanGoalReached"),
    (job(job_id=JOB_ID, contract_months=6), "JobFound"),
    (ExtendContract(DUO_ID, JOB_ID, 12, date(2026, 6, 13)), "ContractExtended"),
    (RecordJobEnded(DUO_ID, JOB_ID, date(2026, 6, 14)), "JobEnded"),
    (RecordTrainingStarted(DUO_ID, date(2026, 6, 14), True), "TrainingStarted"),
    (RecordInternshipStarted(DUO_ID, date(2026, 6, 14)), "InternshipStarted"),
    (RecordMenteeSurvey(DUO_ID, True, True, False), "MenteeSurveyRecorded"),
    (RecordMentorSurvey(DUO_ID, True, True), "MentorSurveyRecorded"),
    (EndDuo(DUO_ID, date(2026, 6, 15), "completed"), "DuoEnded"),
]


async def test_every_handler_appends_its_event_and_keeps_the_row_in_step():
    tracking = Tracking()
    await tracking.run(RegisterPartner(PARTNER_ID, "be-antwerpen", "social_welfare_service", "OCMW Antwerpen"))
    for version, (command, event_type) in enumerate(LIFE, 1):
        state = await tracking.run(command)
        assert state.version == version and (await tracking.types())[-1] == event_type, type(command).__name__
        assert tracking.duos.saved[DUO_ID] == state
    books = {RecordMoneyFigure, RecordOpeningFigures}  # the branch's books (tests/unit/test_tracking_books.py)
    assert set(service.HANDLERS) == {type(c) for c, _ in LIFE} | {RecordFollowUp, RegisterPartner} | books
    ended = tracking.duos.saved[DUO_ID]
    assert ended.status == "ended" and ended.meetings == 2 and ended.end_reason == "completed"
    [referral] = ended.referrals
    assert (referral.partner_kind, referral.accompanied, referral.outcome) == (
        "social_welfare_service",
        True,
        "waiting_list",
    )


async def test_a_partner_is_registered_once_per_name_in_its_branch_with_only_its_kind_in_the_event():
    tracking = Tracking()
    partner = await tracking.run(RegisterPartner(PARTNER_ID, "be-gent", "local_association", "  Buurthuis De Kring "))
    assert partner == RegisteredPartner(PARTNER_ID, "be-gent", "local_association", "Buurthuis De Kring")
    [registered] = await tracking.store.read_stream(f"partner-{PARTNER_ID}")
    assert registered.data == {"partner_id": str(PARTNER_ID), "kind": "local_association"}  # no name
    assert registered.office == "be-gent"
    with pytest.raises(AlreadyRecorded, match="partner"):  # the same name in another spelling
        await tracking.run(RegisterPartner(uuid.uuid4(), "be-antwerpen", "employer", "BUURTHUIS  de kring"))
    # Another branch may have a partner of that name: each branch has its own.
    await tracking.run(
        RegisterPartner(uuid.uuid4(), "fr-paris", "local_association", "Buurthuis De Kring"), caller(tenant=Tenant.FR)
    )


@pytest.mark.parametrize(
    ("command", "who", "refusal", "field_name"),
    [
        (RegisterPartner(PARTNER_ID, "be-gent", "bakery", "X"), caller(), InvalidField, "kind"),
        (RegisterPartner(PARTNER_ID, "be-gent", "employer", " "), caller(), InvalidField, "name"),
        (RegisterPartner(PARTNER_ID, "be-gent", "employer", "A\u200bB"), caller(), InvalidField, "name"),
        (RegisterPartner(PARTNER_ID, "nl-amsterdam", "employer", "X"), caller(), InvalidField, "office"),
        (
            RegisterPartner(PARTNER_ID, "be-gent", "employer", "X"),
            caller(offices={"be-antwerpen"}),
            OutsideOffices,
            "office",
        ),
    ],
    ids=["unknown kind", "blank name", "invisible character", "another branch's office", "office outside the token's"],
)
async def test_a_refused_partner_names_its_field_and_records_nothing(command, who, refusal, field_name):
    tracking = Tracking()
    with pytest.raises(refusal) as refused:
        await tracking.run(command, who)
    assert refused.value.problems[0].field == field_name
    assert tracking.partners.rows == {} and await tracking.store.read_stream(f"partner-{PARTNER_ID}") == []


async def test_a_referral_names_a_partner_of_the_duos_branch_else_it_is_refused_and_nothing_changes():
    tracking = Tracking()
    await tracking.run(RegisterPartner(PARTNER_ID, "fr-paris", "employer", "Atelier"), caller(tenant=Tenant.FR))
    for partner_id in (PARTNER_ID, uuid.uuid4()):  # another branch's partner, and none at all
        with pytest.raises(InvalidField) as refused:
            await tracking.run(ReferMentee(DUO_ID, REFERRAL_ID, partner_id, date(2026, 6, 11), False))
        assert refused.value.problems[0].field == "partner_id"
    with pytest.raises(NotFound, match="referral"):
        await tracking.run(RecordReferralOutcome(DUO_ID, REFERRAL_ID, "support_received"))
    assert await tracking.types() == [] and tracking.duos.saved == {}


async def test_a_follow_up_is_recorded_when_due_and_the_row_holds_it():
    tracking = Tracking()
    await tracking.run(EndDuo(DUO_ID, date(2026, 6, 15), "completed"))
    three_months_on = caller(now=datetime(2026, 9, 16, 10, tzinfo=UTC))
    state = await tracking.run(RecordFollowUp(DUO_ID, 3, "employed"), three_months_on)
    assert (await tracking.types())[-1] == "FollowUpRecorded"
    assert tracking.duos.saved[DUO_ID].follow_ups[3] == ("employed", date(2026, 9, 16)) == state.follow_ups[3]


@pytest.mark.parametrize(
    "who",
    [caller(tenant=Tenant.FR), caller(offices={"be-gent"})],
    ids=["another branch", "an office outside the caller's"],
)
async def test_a_duo_the_caller_may_not_reach_is_not_found_and_nothing_changes(who: Caller):
    tracking = Tracking()
    with pytest.raises(NotFound, match="duo"):
        await tracking.run(meeting(), who)
    with pytest.raises(NotFound, match="duo"):
        await service.load_duo(TrackingUnit(None, tracking.store, tracking.duos, tracking.partners), DUO_ID, who)
    assert await tracking.types() == [] and tracking.duos.saved == {}


async def test_a_duo_matching_never_formed_is_not_found():
    with pytest.raises(NotFound, match="duo"):
        await Tracking().run(meeting(duo_id=uuid.uuid4()))


async def test_a_refused_decision_appends_nothing_and_leaves_the_row_as_it_was():
    tracking = Tracking()
    first = await tracking.run(RecordMenteeSurvey(DUO_ID, True, True, True))
    with pytest.raises(AlreadyRecorded):
        await tracking.run(RecordMenteeSurvey(DUO_ID, False, False, False))
    assert await tracking.types() == ["MenteeSurveyRecorded"] and tracking.duos.saved[DUO_ID] == first


async def test_the_duo_is_folded_from_its_facts_and_every_recorded_event():
    tracking = Tracking()
    await tracking.run(RegisterPartner(PARTNER_ID, "be-antwerpen", "employer", "Atelier"))
    for command, _ in LIFE[:7]:
        await tracking.run(command)
    async with tracking.store.transaction() as tx:
        unit = TrackingUnit(tx, tracking.store, tracking.duos, tracking.partners)
        loaded = await service.load_duo(unit, DUO_ID, caller())
    assert loaded == tracking.duos.saved[DUO_ID] and loaded.version == 7
    assert loaded.facts.mentee_id == MENTEE and [j.job_id for j in loaded.jobs] == [JOB_ID]
