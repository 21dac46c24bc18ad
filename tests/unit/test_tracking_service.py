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
    DuoSheet,
    EndDuo,
    ExtendContract,
    LogMeetings,
    MarkGoalReached,
    RecordDuoSheets,
    RecordFollowUp,
    RecordInternshipStarted,
    RecordJobEnded,
    RecordMenteeSurvey,
    RecordMentorSurvey,
    RecordReferralOutcome,
    RecordTrainingStarted,
    ReferMentee,
)
from services.tracking.domain.duo import DUO, DuoFacts, DuoState
from services.tracking.domain.errors import AlreadyRecorded
from services.tracking.domain.partner import RegisteredPartner, RegisterPartner
from services.tracking.service import TrackingUnit
from shared.commanding.caller import Caller
from shared.commanding.errors import CommandRefused, InvalidField, NotFound, OutsideOffices
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
    sheets = {RecordDuoSheets}  # several duos at once, each step one of the above (below)
    assert set(service.HANDLERS) == {type(c) for c, _ in LIFE} | {RecordFollowUp, RegisterPartner} | books | sheets
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


async def test_a_duos_sheet_records_each_step_as_its_command_does_and_a_refusal_names_its_place():
    tracking = Tracking()
    survey = RecordMenteeSurvey(DUO_ID, True, False, True)
    ending = EndDuo(DUO_ID, date(2026, 6, 15), "completed")
    steps = (("", LogMeetings(DUO_ID, (meeting(),))), ("mentee_survey", survey), ("end", ending))
    with pytest.raises(InvalidField) as nothing:  # the first sheet good, the second empty: nothing recorded
        await tracking.run(RecordDuoSheets((DuoSheet(DUO_ID, steps), DuoSheet(DUO_ID, ()))))
    assert nothing.value.problems[0].field == "sheets.1" and nothing.value.problems[0].rule == "something_to_record"
    assert await tracking.types() == [] and DUO_ID not in tracking.duos.saved
    [state] = await tracking.run(RecordDuoSheets((DuoSheet(DUO_ID, steps),)))
    assert await tracking.types() == ["MeetingLogged", "MenteeSurveyRecorded", "DuoEnded"]
    assert state.version == 3 and tracking.duos.saved[DUO_ID] == state and state.status == "ended"

    again = DuoSheet(DUO_ID, (("mentor_survey", RecordMentorSurvey(DUO_ID, True, True)),))
    refused = await _refusal(tracking, RecordDuoSheets((again,)))
    assert (type(refused).__name__, refused.status) == ("DuoClosed", 409)
    assert [(p.field, p.rule) for p in refused.problems] == [("sheets.0.mentor_survey.duo_id", "duo_active")]
    assert refused.detail.startswith("sheets.0.mentor_survey: the duo ended on 2026-06-15")
    unknown = await _refusal(tracking, RecordDuoSheets((DuoSheet(uuid.uuid4(), steps),)))
    assert isinstance(unknown, NotFound) and unknown.problems[0].field == "sheets.0.duo_id"
    assert len(await tracking.types()) == 3


class CountedStore(InMemoryEventStore):
    """The in-memory store, counting its appends (one call is one statement on PostgreSQL)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.in_one_call = False  # the parts of append_streams_in: one statement on PostgreSQL, not counted

    async def append_in(self, tx: Any, stream_id: str, expected_version: int, events: Any) -> Any:
        if not self.in_one_call:
            self.calls.append("append_in")
        return await super().append_in(tx, stream_id, expected_version, events)

    async def append_streams_in(self, tx: Any, appends: Any) -> Any:
        self.calls.append("append_streams_in")
        self.in_one_call = True
        try:
            return await super().append_streams_in(tx, appends)
        finally:
            self.in_one_call = False


@dataclass
class CountedDuos(InMemoryDuos):
    """The duos' rows, counting reads and writes (one call is one statement on PostgreSQL)."""

    calls: list[str] = field(default_factory=list)

    async def get(self, tenant: Tenant, duo_id: uuid.UUID) -> Any:
        self.calls.append("get")
        return await super().get(tenant, duo_id)

    async def get_many(self, tenant: Tenant, duo_ids: Any) -> Any:
        self.calls.append("get_many")
        return {d: k for d in duo_ids if (k := await InMemoryDuos.get(self, tenant, d)) is not None}

    async def save(self, state: Any) -> None:
        self.calls.append("save")
        await super().save(state)

    async def save_many(self, states: Any) -> None:
        self.calls.append("save_many")
        for state in states:
            await InMemoryDuos.save(self, state)


async def test_a_batch_reads_its_duos_appends_and_writes_their_rows_once_whatever_its_size():
    store, duos = CountedStore(), CountedDuos()
    tracking = Tracking(store=store, duos=duos)
    other = uuid.uuid4()
    tracking.duos.formed(DuoFacts(other, Tenant.BE, "be-gent", MENTEE, MENTOR, FORMED))
    plan = DrawUpActionPlan(DUO_ID, date(2026, 6, 10), ("cv_ready",))
    first = DuoSheet(DUO_ID, (("action_plan", plan), ("", LogMeetings(DUO_ID, (meeting(), meeting())))))
    second = DuoSheet(other, (("", LogMeetings(other, (meeting(duo_id=other),))),))
    ending = DuoSheet(DUO_ID, (("mentee_survey", RecordMenteeSurvey(DUO_ID, True, False, True)),))
    states = await tracking.run(RecordDuoSheets((first, second, ending)))
    assert store.calls == ["append_streams_in"] and duos.calls == ["get_many", "save_many"]
    assert [(s.duo_id, s.version) for s in states] == [(DUO_ID, 4), (other, 1)]
    # The states decided along the way are what the streams fold to, and what the rows keep.
    for state in states:
        folded = DUO.fold(await tracking.store.read_stream(f"duo-{state.duo_id}"), DuoState(state.facts))
        assert folded == state == tracking.duos.saved[state.duo_id]
    assert await tracking.types() == [
        "ActionPlanDrawnUp",
        "MeetingLogged",
        "MeetingLogged",
        "MenteeSurveyRecorded",
    ]
    positions = [e.global_position or 0 for e in await tracking.store.read_stream(f"duo-{DUO_ID}")]
    assert positions == sorted(positions) and 0 not in positions


async def _refusal(tracking: Tracking, command: Any) -> Any:
    with pytest.raises(CommandRefused) as refused:
        await tracking.run(command)
    return refused.value


def test_the_batch_of_duos_is_in_trackings_openapi_with_its_role_limits_and_example():
    from services.tracking.app import create_app
    from shared.config import ServiceSettings

    document = create_app(ServiceSettings("tracking", "postgresql://unused/unused", "unused:9092")).openapi()
    batch = document["paths"]["/duos/batch"]["post"]
    assert batch["x-roles"] == ["coordinator"] and {"200", "404", "409", "422"} <= set(batch["responses"])
    schemas = document["components"]["schemas"]
    sheets = schemas["DuoSheets"]["properties"]["sheets"]
    assert (sheets["minItems"], sheets["maxItems"]) == (1, 50)
    sheet = schemas["DuoSheet"]
    assert sheet["required"] == ["duo_id"] and sheet["properties"]["meetings"]["maxItems"] == 31
    assert {"action_plan", "job", "mentee_survey", "end", "follow_ups"} <= set(sheet["properties"])
    assert sheet["examples"][0]["end"] == {"ended_on": "2026-03-28", "reason": "completed"}
