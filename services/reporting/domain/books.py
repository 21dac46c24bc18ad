"""A branch's books as the log describes them, and what they say beside the duos: cost per duo planned and actual,
subsidies, the net return; and the opening figures from before the platform, kept apart. Pure.

Money is integer cents throughout: a share is rounded once, half up, at the end (docs/reporting.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.reporting.domain.plan import (
    BUDGET_KEUR,
    FLANDERS,
    RETURN_PER_SUSTAINABLE_JOB_EUR,
    SUBSIDY_KEUR,
    YEARS,
    planned,
)
from shared.events.catalog import MONEY_FIGURES, OpeningFiguresRecorded
from shared.events.envelope import EventEnvelope

KINDS = tuple(MONEY_FIGURES)  # budget, planned_costs, actual_costs, subsidy_requested, subsidy_granted, ...
KIND_OF = {model.event_type: kind for kind, model in MONEY_FIGURES.items()}
BOOK_EVENTS = frozenset({*KIND_OF, OpeningFiguresRecorded.event_type})
OPENING_COUNTS = ("duos_formed", "positive_exits", "sustainable_jobs", "active_mentors")
RETURN_PER_JOB_CENTS = RETURN_PER_SUSTAINABLE_JOB_EUR * 100
Order = tuple[int, str]  # (stream version, event id): the later figure of a key replaces the earlier


@dataclass(frozen=True)
class OpeningPeriod:
    """One region's counts over one period before the platform (None: not stated), and their source."""

    region: str
    first_year: int
    last_year: int
    duos_formed: int | None
    positive_exits: int | None
    sustainable_jobs: int | None
    active_mentors: int | None
    source: str


@dataclass
class Books:
    """A branch's money figures, (region, year, kind) -> cents, and its opening periods, each as it now stands."""

    money: dict[tuple[str, int, str], int] = field(default_factory=dict)
    opening: dict[tuple[str, int, int], OpeningPeriod] = field(default_factory=dict)


def books_of(envelopes: Iterable[EventEnvelope], recorded_by: datetime | None = None) -> Books:
    """The books of the facts recorded up to `recorded_by` (all when None): for each key, the latest figure (in its
    stream's order) replaces the others, whatever order they arrived in; a copy of a fact is the same fact."""
    money: dict[tuple[str, int, str], tuple[Order, int]] = {}
    opening: dict[tuple[str, int, int], tuple[Order, OpeningPeriod]] = {}
    for e in envelopes:
        if e.event_type not in BOOK_EVENTS or (recorded_by is not None and e.recorded_at > recorded_by):
            continue
        order, d = (e.stream_version, str(e.event_id)), e.data
        if e.event_type in KIND_OF:
            key = (d["region"], int(d["year"]), KIND_OF[e.event_type])
            if key not in money or money[key][0] < order:
                money[key] = (order, int(d["amount_cents"]))
        else:
            period = (d["region"], int(d["first_year"]), int(d["last_year"]))
            if period not in opening or opening[period][0] < order:
                region, first, last = period
                counts = {name: d.get(name) for name in OPENING_COUNTS}
                opening[period] = (order, OpeningPeriod(region, first, last, source=d["source"], **counts))
    return Books({key: cents for key, (_, cents) in money.items()}, {key: p for key, (_, p) in opening.items()})


def divide(cents: int | None, by: int | None) -> int | None:
    """cents / by, rounded half up to a whole cent; None when either is unknown or `by` is 0."""
    if cents is None or not by:
        return None
    return (2 * cents + by) // (2 * by)


def net_saving_per_thousand(return_cents: int, cost_cents: int) -> int | None:
    """The net saving per EUR 1,000 invested, in EUR: (return - cost) / cost x 1,000, rounded half up. The
    memorandum quotes EUR 2,360 per EUR 1,000 (an independent evaluation, 2016): a return of EUR 3,360."""
    if cost_cents <= 0:
        return None
    return divide((return_cents - cost_cents) * 1000, cost_cents)


def plan_area_cents(table: Mapping[str, tuple[int, ...]], region: str, year: int) -> int | None:
    """A figure of the memorandum's annex (thousand EUR) in cents, for a region and year it plans; else None."""
    if region not in table or year not in YEARS:
        return None
    return table[region][YEARS.index(year)] * 1000 * 100


def planned_duos(region: str, year: int, plan_regions: bool) -> int | None:
    """The plan's duos of a region and year (the Belgian branch's plan only)."""
    if not plan_regions or year not in YEARS or region not in ("Flanders", "Brussels"):
        return None
    return planned(region, year)


def money_rows(books: Books, formed: Mapping[tuple[str, int], int], plan_regions: bool) -> list[dict[str, Any]]:
    """One row per region and year with a money figure: the branch's figures (cents), the plan's budget and
    subsidy beside them, the duos planned and formed, and the cost per duo planned and actual (cents).
    `formed` is (region, year of formation) -> duos; `plan_regions` whether the memorandum's plan is the branch's."""
    rows = []
    for region, year in sorted({(r, y) for r, y, _ in books.money}):
        figures = {f"{kind}_cents": books.money.get((region, year, kind)) for kind in KINDS}
        duos_planned, duos_formed = planned_duos(region, year, plan_regions), formed.get((region, year), 0)
        rows.append(
            {
                "region": region,
                "year": year,
                **figures,
                "plan_budget_cents": plan_area_cents(BUDGET_KEUR, region, year) if plan_regions else None,
                "plan_subsidy_cents": plan_area_cents(SUBSIDY_KEUR, region, year) if plan_regions else None,
                "planned_duos": duos_planned,
                "duos_formed": duos_formed,
                "planned_cost_per_duo_cents": divide(figures["planned_costs_cents"], duos_planned),
                "actual_cost_per_duo_cents": divide(figures["actual_costs_cents"], duos_formed),
            }
        )
    return rows


def region_of_area(area: str) -> str:
    """The region of a plan area (a Flemish province is in Flanders)."""
    return "Flanders" if area in FLANDERS else area


def net_return(books: Books, sustainable_jobs: Mapping[int, int]) -> dict[str, Any]:
    """Per year with actual costs, and over them all: the sustainable jobs of the duos formed that year, a year's
    return of each (EUR 28,000 for each person in work), the actual costs of every region, the net return (return
    minus costs) and the net saving per EUR 1,000 invested."""
    costs: dict[int, int] = {}
    for (_, year, kind), cents in books.money.items():
        if kind == "actual_costs":
            costs[year] = costs.get(year, 0) + cents
    years = [_net(year, sustainable_jobs.get(year, 0), costs[year]) for year in sorted(costs)]
    total = _net(0, sum(y["sustainable_jobs"] for y in years), sum(costs.values()))
    return {"return_per_job_cents": RETURN_PER_JOB_CENTS, "years": years, "total": {**total, "year": None}}


def _net(year: int, jobs: int, cost_cents: int) -> dict[str, Any]:
    gross = jobs * RETURN_PER_JOB_CENTS
    return {
        "year": year,
        "sustainable_jobs": jobs,
        "return_cents": gross,
        "actual_costs_cents": cost_cents,
        "net_return_cents": gross - cost_cents,
        "net_saving_per_1000_eur": net_saving_per_thousand(gross, cost_cents),
    }


def opening_report(books: Books) -> dict[str, Any]:
    """The history before the platform, per region and period, and each region's sums over the periods that state
    each count (a region's periods never overlap): never added to the platform's own figures."""
    periods = [p.__dict__ for _, p in sorted(books.opening.items())]
    by_region: dict[str, dict[str, Any]] = {}
    for p in books.opening.values():
        sums = by_region.setdefault(p.region, {"first_year": p.first_year, "last_year": p.last_year})
        sums["first_year"] = min(sums["first_year"], p.first_year)
        sums["last_year"] = max(sums["last_year"], p.last_year)
        for name in ("duos_formed", "positive_exits", "sustainable_jobs"):
            value = getattr(p, name)
            if value is not None:
                sums[name] = sums.get(name, 0) + value
    for region, sums in by_region.items():  # mentors active at the end of the region's last period
        last = max((p for p in books.opening.values() if p.region == region), key=lambda p: p.last_year)
        sums["active_mentors_at_end"] = last.active_mentors
    return {
        "apart_from_the_platform": True,
        "periods": periods,
        "by_region": {region: by_region[region] for region in sorted(by_region)},
    }
