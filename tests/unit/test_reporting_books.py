"""The books as reporting folds them, on hand-made histories: the latest figure of a key whatever the order, the
cost per duo planned and actual, the net return, and the memorandum's own numbers; opening figures kept apart."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.reporting.domain.books import (
    Books,
    books_of,
    money_rows,
    net_return,
    net_saving_per_thousand,
    opening_report,
)
from services.reporting.domain.plan import BUDGET_KEUR, SUBSIDY_KEUR
from shared.events.catalog import (
    ActualCostsRecorded,
    BudgetSet,
    CostsPlanned,
    OpeningFiguresRecorded,
    SubsidyGranted,
    SubsidyReceived,
)
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
MEMORANDUM = "Memorandum DUO for a JOB - Vlaamse verkiezingen 2024"
EUR = 100  # cents


def history(*events: DomainEvent, stream: str = "finances-1") -> list[EventEnvelope]:
    """The events on one stream, in order, a day apart."""
    return [
        EventEnvelope.record(
            NewEvent(e, EventMetadata(tenant=Tenant.BE, office="be-brussel", actor="finance-3")),
            stream,
            version,
            T0 + timedelta(days=version),
        )
        for version, e in enumerate(events, 1)
    ]


def test_the_latest_figure_of_a_key_stands_whatever_order_the_facts_arrive_in_and_copies_count_once():
    facts = history(
        SubsidyReceived(region="Brussels", year=2025, amount_cents=400_000 * EUR),
        SubsidyReceived(region="Brussels", year=2025, amount_cents=900_000 * EUR),  # to date: it replaces the first
        SubsidyGranted(region="Brussels", year=2025, amount_cents=1_243_000 * EUR),
        BudgetSet(region="Flanders", year=2025, amount_cents=1_765_000 * EUR),
    )
    expected = {
        ("Brussels", 2025, "subsidy_received"): 900_000 * EUR,
        ("Brussels", 2025, "subsidy_granted"): 1_243_000 * EUR,
        ("Flanders", 2025, "budget"): 1_765_000 * EUR,
    }
    for seed in range(5):
        shuffled = facts + facts[:2]
        random.Random(seed).shuffle(shuffled)
        assert books_of(shuffled).money == expected
    # As of a moment: what was recorded by then.
    assert books_of(facts, T0 + timedelta(days=1, hours=1)).money == {
        ("Brussels", 2025, "subsidy_received"): 40_000_000
    }


def test_cost_per_duo_planned_is_against_the_plans_duos_and_actual_against_the_duos_formed():
    books = books_of(
        history(
            CostsPlanned(region="Brussels", year=2024, amount_cents=1_680_000 * EUR),  # the annex's budget, as a plan
            ActualCostsRecorded(region="Brussels", year=2024, amount_cents=1_500_000 * EUR),
            SubsidyGranted(region="Brussels", year=2024, amount_cents=1_176_000 * EUR),
            BudgetSet(region="Wallonia", year=2024, amount_cents=300_000 * EUR),
        )
    )
    brussels, wallonia = money_rows(books, {("Brussels", 2024): 600, ("Wallonia", 2024): 3}, plan_regions=True)
    assert brussels == {
        "region": "Brussels",
        "year": 2024,
        "budget_cents": None,  # not recorded: unknown, never 0
        "planned_costs_cents": 168_000_000,
        "actual_costs_cents": 150_000_000,
        "subsidy_requested_cents": None,
        "subsidy_granted_cents": 117_600_000,
        "subsidy_received_cents": None,
        "plan_budget_cents": BUDGET_KEUR["Brussels"][0] * 100_000,
        "plan_subsidy_cents": SUBSIDY_KEUR["Brussels"][0] * 100_000,
        "planned_duos": 575,
        "duos_formed": 600,
        "planned_cost_per_duo_cents": 292_174,  # EUR 1,680,000 / 575 = 2,921.739: rounded half up to the cent
        "actual_cost_per_duo_cents": 250_000,  # EUR 1,500,000 / 600
    }
    assert wallonia["planned_duos"] is None and wallonia["plan_budget_cents"] is None  # the annex plans no Wallonia
    assert wallonia["actual_cost_per_duo_cents"] is None  # no actual costs recorded


def test_the_memorandums_2360_net_saving_per_1000_invested_is_computed_from_its_own_return_per_person_in_work():
    # The 2016 evaluation's ratio: EUR 1,000 invested, EUR 2,360 saved net, so EUR 3,360 gross.
    assert net_saving_per_thousand(3_360 * EUR, 1_000 * EUR) == 2_360
    # The same ratio from a history: EUR 25,000 of actual costs in 2025 against 3 sustainable jobs of the duos formed
    # that year, each a year's EUR 28,000 to the state (footnote 9): 84,000 - 25,000 = 59,000 net, 2,360 per 1,000.
    books = books_of(history(ActualCostsRecorded(region="Brussels", year=2025, amount_cents=25_000 * EUR)))
    returned = net_return(books, {2025: 3, 2024: 7})  # 2024 has no actual costs: not held against anything
    assert returned["years"] == [
        {
            "year": 2025,
            "sustainable_jobs": 3,
            "return_cents": 84_000 * EUR,
            "actual_costs_cents": 25_000 * EUR,
            "net_return_cents": 59_000 * EUR,
            "net_saving_per_1000_eur": 2_360,
        }
    ]
    assert returned["total"]["net_saving_per_1000_eur"] == 2_360


def test_the_memorandums_own_2024_27_reckoning_3100_eur_a_duo_half_in_sustainable_work():
    # "Wetende dat een duo ... gemiddeld 3.100 euro per duo zal kosten, en dat 50% van de deelnemers een duurzame job
    # vinden": 1,000 duos cost EUR 3,100,000; 500 jobs return EUR 14,000,000 in a year; net 10,900,000.
    books = books_of(history(ActualCostsRecorded(region="Flanders", year=2025, amount_cents=3_100_000 * EUR)))
    total = net_return(books, {2025: 500})["total"]
    assert total["net_return_cents"] == 10_900_000 * EUR
    assert total["net_saving_per_1000_eur"] == 3_516  # 10,900,000 / 3,100,000 x 1,000 = 3,516.1
    assert net_saving_per_thousand(0, 0) is None  # nothing spent: no ratio


def test_actual_costs_of_every_region_add_up_per_year():
    books = books_of(
        history(
            ActualCostsRecorded(region="Flanders", year=2025, amount_cents=10_000 * EUR),
            ActualCostsRecorded(region="Brussels", year=2025, amount_cents=15_000 * EUR),
            ActualCostsRecorded(region="Brussels", year=2026, amount_cents=28_000 * EUR),
        )
    )
    returned = net_return(books, {2025: 1, 2026: 1})
    assert [(y["year"], y["actual_costs_cents"], y["net_return_cents"]) for y in returned["years"]] == [
        (2025, 25_000 * EUR, 3_000 * EUR),
        (2026, 28_000 * EUR, 0),
    ]
    assert returned["total"]["actual_costs_cents"] == 53_000 * EUR and returned["total"]["sustainable_jobs"] == 2


def test_opening_figures_are_reported_apart_per_region_and_period():
    facts = history(
        OpeningFiguresRecorded(region="Brussels", first_year=2013, last_year=2023, duos_formed=3400, source=MEMORANDUM),
        OpeningFiguresRecorded(
            region="Flanders", first_year=2013, last_year=2020, duos_formed=900, source=MEMORANDUM, positive_exits=600
        ),
        OpeningFiguresRecorded(
            region="Flanders", first_year=2021, last_year=2023, duos_formed=500, active_mentors=500, source=MEMORANDUM
        ),
        OpeningFiguresRecorded(
            region="Brussels", first_year=2013, last_year=2023, duos_formed=3400, active_mentors=650, source=MEMORANDUM
        ),
        stream="opening-1",
    )
    report = opening_report(books_of(facts))
    assert report["apart_from_the_platform"] is True
    assert len(report["periods"]) == 3  # Brussels' period recorded twice: the later one stands
    assert report["by_region"] == {
        "Brussels": {"first_year": 2013, "last_year": 2023, "duos_formed": 3400, "active_mentors_at_end": 650},
        "Flanders": {
            "first_year": 2013,
            "last_year": 2023,
            "duos_formed": 1400,  # the memorandum's 1,400 in Flanders, over two periods
            "positive_exits": 600,
            "active_mentors_at_end": 500,
        },
    }
    assert opening_report(Books()) == {"apart_from_the_platform": True, "periods": [], "by_region": {}}


def test_money_and_opening_facts_never_reach_the_programmes_figures():
    from services.reporting.domain.programme import programme_of
    from services.reporting.domain.report import Slice, figures

    facts = history(
        ActualCostsRecorded(region="Brussels", year=2025, amount_cents=1 * EUR),
        OpeningFiguresRecorded(region="Brussels", first_year=2013, last_year=2023, duos_formed=3400, source="x"),
    )
    assert figures(programme_of(facts), Slice(Tenant.BE), T0.date()) == figures(
        programme_of([]), Slice(Tenant.BE), T0.date()
    )
