"""The 2024-2027 plan of the memorandum's annex, loaded as a versioned plan, and the money figures. Pure.

Every total is computed from the years, never copied: the memorandum prints 4,978 for the
Brussels subsidy, while its years add up to 4,979 (docs/domain.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.reporting.domain.disclosure import Published, Sum, hidden_cells
from shared.tenancy import OFFICES

PLAN_VERSION = "memorandum-2024-annex/v1"
YEARS = (2024, 2025, 2026, 2027)
RETURN_PER_SUSTAINABLE_JOB_EUR = 28_000  # a person who starts work yields on average EUR 28,000 a year to the state

# Duos formed and supported, planned per province (Flanders) and region (Brussels), per year.
PLANNED_DUOS: dict[str, tuple[int, int, int, int]] = {
    "Antwerpen": (236, 280, 315, 360),
    "Oost-Vlaanderen": (180, 225, 270, 315),
    "Vlaams-Brabant": (35, 40, 45, 50),
    "Brussels": (575, 600, 625, 650),
}
FLANDERS = ("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant")
# Thousand EUR per year, per region.
BUDGET_KEUR: dict[str, tuple[int, int, int, int]] = {
    "Flanders": (1582, 1765, 1940, 2071),
    "Brussels": (1680, 1775, 1800, 1857),
}
SUBSIDY_KEUR: dict[str, tuple[int, int, int, int]] = {
    "Flanders": (1107, 1235, 1358, 1450),
    "Brussels": (1176, 1243, 1260, 1300),
}


@dataclass(frozen=True)
class PlanRow:
    """Planned against formed duos of one area in one year."""

    area: str
    year: int
    planned: int
    formed: int

    @property
    def share(self) -> float | None:
        return round(self.formed / self.planned, 4) if self.planned else None


def planned(area: str, year: int) -> int:
    """Planned duos of a province, of Brussels, or of Flanders (the sum of its provinces)."""
    index = YEARS.index(year)
    if area == "Flanders":
        return sum(PLANNED_DUOS[p][index] for p in FLANDERS)
    return PLANNED_DUOS[area][index]


def formed_by_area(by_office: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    """Duos formed per plan area (a Flemish province, or the region elsewhere) and year, from (office, year, duos)."""
    formed: dict[tuple[str, int], int] = {}
    for office, year, duos in by_office:
        _, region, province = OFFICES.get(office, (None, None, None))
        area = province if region == "Flanders" else region
        if area:
            formed[(area, year)] = formed.get((area, year), 0) + duos
    return formed


def plan_rows(formed: dict[tuple[str, int], int]) -> list[PlanRow]:
    """Every area and year of the plan, and its total, against the duos formed (by (area, year))."""
    rows = []
    for area in (*FLANDERS, "Flanders", "Brussels"):
        for year in YEARS:
            done = (
                sum(formed.get((p, year), 0) for p in FLANDERS) if area == "Flanders" else formed.get((area, year), 0)
            )
            rows.append(PlanRow(area, year, planned(area, year), done))
        rows.append(
            PlanRow(
                area, 0, sum(planned(area, y) for y in YEARS), sum(r.formed for r in rows if r.area == area and r.year)
            )
        )
    return rows


def cost_per_duo(region: str) -> dict[str, Any]:
    """The plan's budget over its planned duos, per year and over 2024-27 (EUR)."""
    per_year = {year: round(BUDGET_KEUR[region][i] * 1000 / planned(region, year)) for i, year in enumerate(YEARS)}
    total_budget = sum(BUDGET_KEUR[region]) * 1000
    total_duos = sum(planned(region, y) for y in YEARS)
    return {
        "per_year": per_year,
        "2024-2027": round(total_budget / total_duos),
        "budget_eur": total_budget,
        "planned_duos": total_duos,
    }


def overall_cost_per_duo() -> dict[str, Any]:
    """Flanders and Brussels together: the memorandum's EUR 3,014 (14,470k / 4,801), computed."""
    budget = sum(sum(v) for v in BUDGET_KEUR.values()) * 1000
    duos = sum(planned(r, y) for r in ("Flanders", "Brussels") for y in YEARS)
    return {"budget_eur": budget, "planned_duos": duos, "cost_per_duo_eur": round(budget / duos)}


def yearly_return(sustainable_jobs: int) -> int:
    """The estimated yearly return to the state of the sustainable jobs found (EUR)."""
    return sustainable_jobs * RETURN_PER_SUSTAINABLE_JOB_EUR


ALL_OF_BRANCH = ("all", 0)  # the branch's duos formed as the roll-up publishes them, when they add up to the plan's
PlanCell = tuple[str, int]  # (area, year; 0 for 2024-2027)


def plan_cells(rows: list[PlanRow], branch_formed: int | None) -> dict[PlanCell, int]:
    """The plan's formed duos per (area, year), and the branch's duos formed when they equal the two regions'."""
    cells: dict[PlanCell, int] = {(r.area, r.year): r.formed for r in rows}
    if branch_formed is not None and branch_formed == cells[("Flanders", 0)] + cells[("Brussels", 0)]:
        cells[ALL_OF_BRANCH] = branch_formed
    return cells


def plan_sums(cells: Mapping[PlanCell, int]) -> list[Sum[PlanCell]]:
    """The sums the plan publishes: Flanders = its provinces; an area's 2024-2027 = its years; and the branch's duos
    formed (published by the roll-up) = the two regions', when they are equal."""
    sums = [Sum(("Flanders", year), tuple((p, year) for p in FLANDERS)) for year in (*YEARS, 0)]
    sums += [Sum((area, 0), tuple((area, y) for y in YEARS)) for area in (*FLANDERS, "Flanders", "Brussels")]
    if ALL_OF_BRANCH in cells:
        sums.append(Sum(ALL_OF_BRANCH, (("Flanders", 0), ("Brussels", 0))))
    return sums


def protect_plan(
    cells: Mapping[PlanCell, int],
    threshold: int,
    branch_formed_hidden: bool,
    earlier: Sequence[Published[PlanCell]] = (),
) -> frozenset[PlanCell]:
    """The plan's cells a reader who must not see small cells may not see. The branch's duos formed are shown or
    hidden by the roll-up: a count it hides stays hidden here, and one it shows is never taken as a complement."""
    by_rollup = [ALL_OF_BRANCH] if ALL_OF_BRANCH in cells else []
    hide = by_rollup if branch_formed_hidden else []
    return frozenset(hidden_cells(cells, plan_sums(cells), threshold, hide, earlier, fixed=by_rollup))


def protected_formed(
    rows: list[PlanRow], threshold: int, branch_formed: int | None, branch_formed_hidden: bool
) -> dict[tuple[str, int], int | None]:
    """The plan's formed duos per (area, year) as a reader who must not see small cells may: None where hidden."""
    hidden = protect_plan(plan_cells(rows, branch_formed), threshold, branch_formed_hidden)
    return {(r.area, r.year): None if (r.area, r.year) in hidden else r.formed for r in rows}
