"""The federation's publications: its tables on a fixed calendar, each frozen once published. Pure.

A reader who may ask for any day could subtract two days' tables ("NL 27 yesterday, 31 today": 4 people). So the
federation reads only publications, one per quarter end (docs/adr/0025): a day asked is snapped to the last quarter
end that is over, on or before it, and each publication is protected together with every earlier one as it was
published (domain/disclosure.py), so that no small change between two of them can be worked out. A publication is
stored once computed and never recomputed: a fact that arrives late counts in the next one, and what the federation
was shown stays what the next publication is protected against. It keeps the definitions each branch's cells were
computed under (docs/adr/0027): a branch that chooses other definitions later does not change what an old
publication counted, so it must not change what that publication says it counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.disclosure import Cell, Published
from services.reporting.domain.figures import Figures
from services.reporting.domain.plan import PlanCell, PlanRow, plan_cells, plan_sums, protect_plan
from services.reporting.domain.rollup import RollupCell, branches_of, protect_rollup, published_sums, rollup_cells

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
FIRST_PUBLICATION = date(2024, 3, 31)  # the end of the plan's first quarter (2024-2027, docs/domain.md)


def quarter_end_on_or_before(day: date) -> date:
    """The last quarter end on or before `day`."""
    for month, last in reversed(QUARTER_ENDS):
        end = date(day.year, month, last)
        if end <= day:
            return end
    return date(day.year - 1, 12, 31)


def publication_date(asked: date | None, today: date) -> date | None:
    """The publication a federation reader asking for `asked` (today when None) gets: the last quarter end on or
    before it that is over (before `today`); None when that is before the first publication."""
    last_closed = today - timedelta(days=1)
    published_on = quarter_end_on_or_before(min(asked or last_closed, last_closed))
    return published_on if published_on >= FIRST_PUBLICATION else None


def publication_dates(until: date) -> list[date]:
    """Every publication date from the first to `until` (a publication date), oldest first."""
    dates, day = [], FIRST_PUBLICATION
    while day <= until:
        dates.append(day)
        day = quarter_end_on_or_before(day + timedelta(days=95))
    return dates


Stated = Mapping[str, Mapping[str, str]]  # per branch, each figure's definition key: {"BE": {"positive_exit": ...}}


@dataclass(frozen=True)
class FederationTables:
    """One publication: the roll-up of every branch and the Belgian branch's plan, each with its hidden cells, and
    the definitions each branch's cells were computed under."""

    published_on: date
    rollup: Published[RollupCell]
    plan: Published[PlanCell]
    definitions: Stated

    def shown_rollup(self) -> dict[RollupCell, int | None]:
        return shown(self.rollup)

    def shown_plan(self) -> dict[PlanCell, int | None]:
        return shown(self.plan)


def shown(table: Published[Cell]) -> dict[Cell, int | None]:
    """A table as the reader sees it: None where hidden."""
    return {cell: None if cell in table.hidden else count for cell, count in table.counts.items()}


def definitions_of(by_branch: Mapping[str, Figures]) -> dict[str, dict[str, str]]:
    """The definitions each branch's figures say they were computed under (the rates the roll-up counts from)."""
    return {
        branch: {
            "positive_exit": f.positive_exit.definition,
            "sustainable_work": f.sustainable_work.definition,
            "mentor_retention": f.mentor_retention.definition,
        }
        for branch, f in sorted(by_branch.items())
    }


def publish(
    published_on: date,
    by_branch: Mapping[str, Figures],
    plan: list[PlanRow],
    earlier: Sequence[FederationTables],
    belgium: str = "BE",
) -> FederationTables:
    """The publication of `published_on` from every branch's figures and the plan's rows as of that day, protected
    against every `earlier` publication; the plan's branch total is hidden exactly when the roll-up hides it."""
    rollup = rollup_cells(by_branch)
    rollup_hidden = protect_rollup(rollup, [e.rollup for e in earlier])
    definitions = definitions_of(by_branch)
    if belgium not in by_branch:  # a region without the Belgian branch has no plan to publish (docs/adr/0028)
        return FederationTables(
            published_on,
            Published(rollup, rollup_hidden, published_sums(branches_of(rollup))),
            Published({}, frozenset(), []),
            definitions,
        )
    plan_table = plan_cells(plan, rollup[(belgium, "duos_formed")])
    plan_hidden = protect_plan(
        plan_table, SUPPRESS_BELOW, (belgium, "duos_formed") in rollup_hidden, [e.plan for e in earlier]
    )
    return FederationTables(
        published_on,
        Published(rollup, rollup_hidden, published_sums(branches_of(rollup))),
        Published(plan_table, plan_hidden, plan_sums(plan_table)),
        definitions,
    )


def to_record(tables: FederationTables) -> dict[str, Any]:
    """The publication's tables as stored: each table's cells as [key..., count, hidden] (its definitions are
    stored beside them, as they are)."""
    return {
        name: [[*cell, count, cell in table.hidden] for cell, count in table.counts.items()]
        for name, table in (("rollup", tables.rollup), ("plan", tables.plan))
    }


def from_record(published_on: date, record: Mapping[str, Any], definitions: Stated) -> FederationTables:
    """A stored publication, as it was published, with the definitions stored with it."""
    rollup = {(str(b), str(h)): int(n) for b, h, n, _ in record["rollup"]}
    plan = {(str(a), int(y)): int(n) for a, y, n, _ in record["plan"]}
    return FederationTables(
        published_on,
        Published(
            rollup,
            frozenset((str(b), str(h)) for b, h, _, hid in record["rollup"] if hid),
            published_sums(branches_of(rollup)),
        ),
        Published(
            plan,
            frozenset((str(a), int(y)) for a, y, _, hid in record["plan"] if hid),
            plan_sums(plan) if plan else [],
        ),
        {str(b): {str(k): str(v) for k, v in d.items()} for b, d in definitions.items()},
    )
