"""The federation's cross-branch roll-up: each branch's headline counts, small cells suppressed. Pure."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from services.reporting.domain.definitions import SUPPRESS_BELOW
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


def suppressed(count: int) -> int | None:
    """A count as the roll-up shows it: None when it is above zero and under the threshold."""
    return None if 0 < count < SUPPRESS_BELOW else count


def _row(counts: dict[str, int]) -> RollupRow:
    shown = {name: suppressed(count) for name, count in counts.items()}
    ended, positive, jobs = shown["duos_ended"], shown["positive_exits"], shown["sustainable_jobs"]
    return RollupRow(
        **shown,
        # Rates only from counts that are shown.
        positive_exit_rate=round(positive / ended, 4) if ended and positive is not None else None,
        sustainable_work_rate=round(jobs / ended, 4) if ended and jobs is not None else None,
    )


def rollup(by_branch: dict[str, Figures]) -> Rollup:
    """Each branch's headline counts and the total, small cells suppressed; rates only from shown counts."""
    return Rollup(
        by_branch={
            branch: _row({name: read(f) for name, read in HEADLINES.items()}) for branch, f in sorted(by_branch.items())
        },
        total=_row({name: sum(read(f) for f in by_branch.values()) for name, read in HEADLINES.items()}),
        suppressed_below=SUPPRESS_BELOW,
    )
