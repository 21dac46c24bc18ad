"""The federation's cross-branch roll-up: each branch's headline counts, small cells suppressed. Pure."""

from __future__ import annotations

from services.reporting.domain.definitions import SUPPRESS_BELOW

# The counts the roll-up shows per branch: (name, path in the figures).
HEADLINES = (
    ("applications", ("applications", "total")),
    ("registered", ("applications", "registered")),
    ("refused", ("applications", "refused")),
    ("duos_formed", ("duos_formed",)),
    ("duos_ended", ("positive_exit", "denominator")),
    ("positive_exits", ("positive_exit", "numerator")),
    ("sustainable_jobs", ("sustainable_work", "numerator")),
    ("active_mentors", ("active_mentors", "count")),
)


def _at(figures: dict, path: tuple[str, ...]) -> int:
    value: object = figures
    for key in path:
        value = value[key]  # type: ignore[index]
    return int(value)  # type: ignore[call-overload]


def suppressed(count: int) -> int | None:
    """A count as the roll-up shows it: None when it is above zero and under the threshold."""
    return None if 0 < count < SUPPRESS_BELOW else count


def rollup(by_branch: dict[str, dict]) -> dict:
    """Each branch's headline counts and the total, small cells suppressed; rates only from shown counts."""
    rows: dict[str, dict[str, float | None]] = {}
    for branch, figures in sorted(by_branch.items()):
        rows[branch] = {name: suppressed(_at(figures, path)) for name, path in HEADLINES}
    total: dict[str, float | None] = {
        name: suppressed(sum(_at(f, path) for f in by_branch.values())) for name, path in HEADLINES
    }
    for row in (*rows.values(), total):
        ended, positive = row["duos_ended"], row["positive_exits"]
        row["positive_exit_rate"] = round(positive / ended, 4) if ended and positive is not None else None
        row["sustainable_work_rate"] = (
            round(row["sustainable_jobs"] / ended, 4) if ended and row["sustainable_jobs"] is not None else None
        )
    return {"by_branch": rows, "total": total, "suppressed_below": SUPPRESS_BELOW}
