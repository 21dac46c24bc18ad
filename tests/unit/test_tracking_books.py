"""A branch's books in memory: money figures per region and year and opening figures, each decided on the
branch's one stream; every refusal names its field and appends nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.tracking import service
from services.tracking.adapters.memory import InMemoryDuos, InMemoryPartners
from services.tracking.domain.books import (
    RecordMoneyFigure,
    RecordOpeningFigures,
    books_id,
    regions_of,
)
from services.tracking.service import TrackingUnit
from shared.commanding.caller import Caller
from shared.commanding.errors import CommandRefused
from shared.eventstore.memory import InMemoryEventStore
from shared.tenancy import Tenant
from tests.callers import coordinator

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
MEMORANDUM = "Memorandum DUO for a JOB - Vlaamse verkiezingen 2024"


async def run(store: InMemoryEventStore, command: Any, who: Caller | None = None) -> Any:
    async with store.transaction() as tx:
        return await service.execute(
            TrackingUnit(tx, store, InMemoryDuos(), InMemoryPartners()), command, who or coordinator(NOW)
        )


async def recorded(store: InMemoryEventStore, books: str, tenant: Tenant = Tenant.BE) -> list[Any]:
    return list(await store.read_stream(f"{books}-{books_id(tenant, books)}"))


def opening(**changes: Any) -> RecordOpeningFigures:
    fields: dict[str, Any] = {
        "region": "Brussels",
        "first_year": 2013,
        "last_year": 2023,
        "duos_formed": 3400,
        "positive_exits": None,
        "sustainable_jobs": None,
        "active_mentors": 650,
        "source": MEMORANDUM,
    }
    return RecordOpeningFigures(**(fields | changes))


def test_a_branch_has_the_regions_of_its_offices():
    assert regions_of(Tenant.BE) == ("Flanders", "Brussels", "Wallonia")
    assert books_id(Tenant.BE, "finances") == books_id(Tenant.BE, "finances") != books_id(Tenant.NL, "finances")


async def test_each_kind_of_money_figure_is_its_own_event_and_a_later_one_replaces_it():
    store = InMemoryEventStore()
    kinds = {
        "budget": "BudgetSet",
        "planned_costs": "CostsPlanned",
        "actual_costs": "ActualCostsRecorded",
        "subsidy_requested": "SubsidyRequested",
        "subsidy_granted": "SubsidyGranted",
        "subsidy_received": "SubsidyReceived",
    }
    for kind in kinds:
        await run(store, RecordMoneyFigure(kind, "Brussels", 2025, 1_243_000_00))  # type: ignore[arg-type]
    state = await run(store, RecordMoneyFigure("subsidy_received", "Brussels", 2025, 1_300_000_00))
    events = await recorded(store, "finances")
    assert [e.event_type for e in events] == [*kinds.values(), "SubsidyReceived"]
    assert {e.office for e in events} == {"be-brussel"}  # filed under the region's office
    assert events[0].actor == "coordinator-1" and events[0].data["currency"] == "EUR"
    assert state.figures[("subsidy_received", "Brussels", 2025)] == 1_300_000_00
    assert state.figures[("budget", "Brussels", 2025)] == 1_243_000_00
    again = await run(store, RecordMoneyFigure("subsidy_received", "Brussels", 2025, 1_300_000_00))
    assert again.version == state.version and len(await recorded(store, "finances")) == 7  # nothing twice


@pytest.mark.parametrize(
    ("command", "field", "rule"),
    [
        (RecordMoneyFigure("budget", "Brussels", 2025, -1), "amount_cents", "not_negative"),
        (RecordMoneyFigure("budget", "Atlantis", 2025, 100), "region", "region_of_branch"),
        (RecordMoneyFigure("budget", "Noord-Holland", 2025, 100), "region", "region_of_branch"),  # NL's region
        (RecordMoneyFigure("budget", "Brussels", 1999, 100), "year", "year_in_range"),
        (RecordMoneyFigure("budget", "Brussels", 2032, 100), "year", "year_in_range"),  # more than 5 years ahead
        (RecordMoneyFigure("actual_costs", "Brussels", 2027, 100), "year", "year_in_range"),  # not spent yet
        (RecordMoneyFigure("subsidy_received", "Flanders", 2027, 100), "year", "year_in_range"),
        (RecordMoneyFigure("budget", "Brussels", 2025, 100, "USD"), "currency", "currency_of_branch"),
        (RecordMoneyFigure("bonus", "Brussels", 2025, 100), "kind", "money_kind"),  # type: ignore[arg-type]
    ],
)
async def test_a_bad_money_figure_is_refused_naming_its_field_and_records_nothing(command, field, rule):
    store = InMemoryEventStore()
    with pytest.raises(CommandRefused) as refused:
        await run(store, command)
    assert refused.value.status == 422
    assert [(p.field, p.rule) for p in refused.value.problems] == [(field, rule)]
    assert await recorded(store, "finances") == []


async def test_planned_money_may_look_five_years_ahead():
    store = InMemoryEventStore()
    state = await run(store, RecordMoneyFigure("planned_costs", "Flanders", 2031, 2_071_000_00))
    assert state.figures == {("planned_costs", "Flanders", 2031): 2_071_000_00}


async def test_a_token_limited_to_some_offices_records_no_region_it_does_not_wholly_reach():
    store = InMemoryEventStore()
    with pytest.raises(CommandRefused) as refused:
        await run(store, RecordMoneyFigure("budget", "Flanders", 2025, 100), coordinator(NOW, offices={"be-gent"}))
    assert refused.value.status == 403 and await recorded(store, "finances") == []
    brussels = coordinator(NOW, offices={"be-brussel"})
    state = await run(store, RecordMoneyFigure("budget", "Brussels", 2025, 100), brussels)
    assert state.version == 1


async def test_opening_figures_are_kept_per_region_and_period_and_replaced_as_a_whole():
    store = InMemoryEventStore()
    await run(store, opening())
    await run(store, opening(region="Flanders", duos_formed=1400, active_mentors=500))
    state = await run(store, opening(positive_exits=2380))  # the same period again: it replaces the first
    events = await recorded(store, "opening")
    assert [e.event_type for e in events] == ["OpeningFiguresRecorded"] * 3
    assert [e.office for e in events] == ["be-brussel", "be-antwerpen", "be-brussel"]
    assert state.periods[("Brussels", 2013, 2023)].positive_exits == 2380
    assert state.periods[("Flanders", 2013, 2023)].duos_formed == 1400
    assert len(state.periods) == 2
    assert (await run(store, opening(positive_exits=2380))).version == 3  # the same figures again: nothing


@pytest.mark.parametrize(
    ("command", "status", "field", "rule"),
    [
        (opening(duos_formed=-1), 422, "duos_formed", "not_negative"),
        (opening(region="Atlantis"), 422, "region", "region_of_branch"),
        (opening(last_year=2027), 422, "last_year", "year_in_range"),  # history is of years that have begun
        (opening(first_year=1990), 422, "first_year", "year_in_range"),
        (opening(first_year=2020, last_year=2019), 422, "last_year", "not_before_first_year"),
        (opening(duos_formed=None, active_mentors=None), 422, "duos_formed", "some_count"),
        (opening(duos_formed=10, positive_exits=11), 422, "positive_exits", "at_most_duos_formed"),
        (opening(positive_exits=10, sustainable_jobs=11), 422, "sustainable_jobs", "at_most_positive_exits"),
        (opening(source="  "), 422, "source", "document_title"),
        (opening(first_year=2020, last_year=2024), 409, "first_year", "no_overlapping_period"),
    ],
)
async def test_bad_opening_figures_are_refused_naming_their_field_and_record_nothing(command, status, field, rule):
    store = InMemoryEventStore()
    await run(store, opening())  # Brussels 2013-2023, for the overlap
    with pytest.raises(CommandRefused) as refused:
        await run(store, command)
    assert refused.value.status == status
    assert [(p.field, p.rule) for p in refused.value.problems] == [(field, rule)]
    assert len(await recorded(store, "opening")) == 1


async def test_the_books_of_one_branch_are_not_another_branchs():
    store = InMemoryEventStore()
    await run(store, RecordMoneyFigure("budget", "Brussels", 2025, 100))
    nl = await run(store, RecordMoneyFigure("budget", "Noord-Holland", 2025, 7), coordinator(NOW, Tenant.NL))
    assert nl.figures == {("budget", "Noord-Holland", 2025): 7}


def test_trackings_openapi_shows_the_books_routes_with_their_roles_and_examples():
    from services.tracking.app import create_app
    from shared.config import ServiceSettings

    document = create_app(ServiceSettings("tracking", "postgresql://unused/unused", "unused:9092")).openapi()
    paths = document["paths"]
    assert paths["/finances/figures"]["post"]["x-roles"] == ["finance_officer"]
    assert paths["/opening-figures"]["post"]["x-roles"] == ["branch_admin"]
    assert paths["/finances"]["get"]["x-roles"] == paths["/opening-figures"]["get"]["x-roles"]
    money = document["components"]["schemas"]["MoneyFigure"]
    assert (
        money["properties"]["amount_cents"]["type"] == "integer" and money["properties"]["amount_cents"]["minimum"] == 0
    )
    assert set(money["properties"]["kind"]["enum"]) == {
        "budget",
        "planned_costs",
        "actual_costs",
        "subsidy_requested",
        "subsidy_granted",
        "subsidy_received",
    }
    assert money["examples"] and document["components"]["schemas"]["OpeningFigures"]["examples"]
