"""The federation's cross-branch roll-up: each branch's headline counts, small cells suppressed so that no total or
difference gives them back (domain/disclosure.py). Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.disclosure import Published, Sum, hidden_cells
from services.reporting.domain.figures import Figures

# The counts the roll-up shows per branch, each read from the typed figures.
HEADLINES: dict[str, Callable[[Figures], int]] = {
    "applications": lambda f: f.applications.total,
    "registered": lambda f: f.applications.registered,
    "refused": lambda f: f.applications.refused,
    "duos_formed": lambda f: f.duos_formed,
    "duos_ended": lambda f: f.positive_exit.denominator,
    "positive_exits": lambda f: f.positive_exit.numerator,
    "sustainable_jobs": lambda f: f.sustainable_work.numerator,
    "active_mentors": lambda f: f.active_mentors.count,
}


class RollupRow(BaseModel):
    """A branch's (or the total's) headline counts as shown: None where a count is suppressed."""

    applications: int | None
    registered: int | None
    refused: int | None
    duos_formed: int | None
    duos_ended: int | None
    positive_exits: int | None
    sustainable_jobs: int | None
    active_mentors: int | None
    positive_exit_rate: float | None
    sustainable_work_rate: float | None


class Rollup(BaseModel):
    by_branch: dict[str, RollupRow]
    total: RollupRow
    suppressed_below: int


TOTAL = "total"
# What the table publishes as sums: a headline's total over the branches, and a row's applications.
APPLICATIONS = ("applications", ("registered", "refused"))


def published_sums(branches: list[str]) -> list[Sum[tuple[str, str]]]:
    by_headline = [Sum((TOTAL, name), tuple((b, name) for b in branches)) for name in HEADLINES]
    total, parts = APPLICATIONS
    by_row = [Sum((row, total), tuple((row, part) for part in parts)) for row in (*branches, TOTAL)]
    return by_headline + by_row


RollupCell = tuple[str, str]  # (branch or "total", headline)


def rollup_cells(by_branch: Mapping[str, Figures]) -> dict[RollupCell, int]:
    """Each (branch or "total", headline) count, none hidden yet."""
    cells = {(b, name): read(by_branch[b]) for b in sorted(by_branch) for name, read in HEADLINES.items()}
    for name, read in HEADLINES.items():
        cells[(TOTAL, name)] = sum(read(f) for f in by_branch.values())
    return cells


def branches_of(cells: Mapping[RollupCell, object]) -> list[str]:
    return sorted({branch for branch, _ in cells} - {TOTAL})


def protect_rollup(
    cells: Mapping[RollupCell, int], earlier: Sequence[Published[RollupCell]] = ()
) -> frozenset[RollupCell]:
    """The cells the federation may not see: small cells and their complements, so that no sum or difference over
    the table, nor over it and its `earlier` publications, gives a hidden cell or a small change back."""
    return frozenset(hidden_cells(cells, published_sums(branches_of(cells)), SUPPRESS_BELOW, earlier=earlier))


def protected_counts(by_branch: dict[str, Figures]) -> dict[RollupCell, int | None]:
    """Each (branch or "total", headline) count as the federation may see it: None where hidden, small cells and
    their complements alike, so that no sum or difference over the table gives a hidden cell back."""
    cells = rollup_cells(by_branch)
    hidden = protect_rollup(cells)
    return {cell: None if cell in hidden else count for cell, count in cells.items()}


def _row(shown: dict[str, int | None]) -> RollupRow:
    ended, positive, jobs = shown["duos_ended"], shown["positive_exits"], shown["sustainable_jobs"]
    return RollupRow(
        **shown,
        # Rates only from counts that are shown.
        positive_exit_rate=round(positive / ended, 4) if ended and positive is not None else None,
        sustainable_work_rate=round(jobs / ended, 4) if ended and jobs is not None else None,
    )


def rollup_of(shown: Mapping[RollupCell, int | None]) -> Rollup:
    """The roll-up of a protected table (None where hidden); rates only from shown counts."""
    return Rollup(
        by_branch={b: _row({name: shown[(b, name)] for name in HEADLINES}) for b in branches_of(shown)},
        total=_row({name: shown[(TOTAL, name)] for name in HEADLINES}),
        suppressed_below=SUPPRESS_BELOW,
    )


def rollup(by_branch: dict[str, Figures]) -> Rollup:
    """Each branch's headline counts and the total, small cells suppressed; rates only from shown counts."""
    return rollup_of(protected_counts(by_branch))
