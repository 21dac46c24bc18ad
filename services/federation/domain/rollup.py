"""The federation's roll-up across regions, from each region's published figures only. Pure.

A region's publication is frozen once made (docs/adr/0025), so a region's figures of a quarter are right for good,
whether the region still answers or not; what a region that is down cannot give is its next ones. So: the roll-up of
a quarter takes each region's publication of that quarter; a region that has not sent it (down, or late) shows its
last one instead, marked with its own publication date, and the totals are left out (null), never summed as if it
were zero. A region is stale when its last message is older than the stale threshold: its age is shown.
A total is the sum of the regions' published totals, shown only when each of them is (docs/adr/0028); a branch
counts in the region that hosts it now only (a branch moved keeps its cells in the old region's frozen quarters).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from shared.federation_figures import RegionFigures, RegionPublication

TOTAL = "total"
# The headlines each region's roll-up publishes (services/reporting/domain/rollup.py names them).
RATES = {"positive_exit_rate": "positive_exits", "sustainable_work_rate": "sustainable_jobs"}


def publications_of(figures: Mapping[str, RegionFigures]) -> list[date]:
    """Every quarter any region has published, oldest first."""
    return sorted({p.published_on for f in figures.values() for p in f.publications})


def _publication(figures: RegionFigures, asked: date) -> RegionPublication | None:
    """The region's publication of `asked`, or its last one before it (None: it has none that early)."""
    earlier = [p for p in figures.publications if p.published_on <= asked]
    return max(earlier, key=lambda p: p.published_on) if earlier else None


def _row(counts: Mapping[str, int | None]) -> dict[str, int | float | None]:
    ended = counts.get("duos_ended")
    row: dict[str, int | float | None] = dict(counts)
    for rate, numerator in RATES.items():  # rates only from counts that are shown
        shown = counts.get(numerator)
        row[rate] = round(shown / ended, 4) if ended and shown is not None else None
    return row


def _hosted_rows(publication: RegionPublication, hosted: set[str]) -> dict[str, dict[str, int | None]]:
    """The publication's rows of the branches the region hosts now, and its total without the others: a branch
    that moved to another region (docs/operations.md) is still in the old region's frozen publications, and the
    region hosting it now publishes those quarters too, so it is taken from there alone. A total from which a hidden
    cell would have to be taken away is hidden (never a guess); taking away shown cells of one publication reveals
    nothing its own suppression did not already allow."""
    rows: dict[str, dict[str, int | None]] = {}
    for branch, headline, count in publication.rollup:
        rows.setdefault(branch, {})[headline] = count
    gone = [row for branch, row in rows.items() if branch != TOTAL and branch not in hosted]
    total = rows.get(TOTAL)
    if gone and total is not None:
        for headline, count in list(total.items()):
            away = [row.get(headline) for row in gone]
            total[headline] = None if count is None or None in away else count - sum(n for n in away if n is not None)
    return {branch: row for branch, row in rows.items() if branch == TOTAL or branch in hosted}


def federation_rollup(
    expected: list[str],
    figures: Mapping[str, RegionFigures],
    now: datetime,
    stale_after_s: float,
    asked: date | None = None,
) -> dict:
    """The roll-up of the quarter `asked` (the newest any region published, when None) over the `expected` regions:
    each branch's row from its region's publication, each region's state, and the totals (null unless every
    expected region published that very quarter, and shows the total)."""
    quarters = publications_of(figures)
    if asked is not None:
        quarters = [q for q in quarters if q <= asked]
    quarter = quarters[-1] if quarters else None
    regions: dict[str, dict] = {}
    by_branch: dict[str, dict] = {}
    totals: dict[str, list[int | None]] = {}
    complete = quarter is not None
    definitions: dict[str, dict[str, str]] = {}
    for name in expected:
        sent = figures.get(name)
        if sent is None:  # never heard of since the federation started: nothing to show, not zeros
            regions[name] = {"branches": None, "publication": None, "sent_at": None, "age_s": None, "stale": True}
            complete = False
            continue
        age = (now - sent.sent_at).total_seconds()
        publication = _publication(sent, quarter) if quarter else None
        regions[name] = {
            "branches": [b.value for b in sent.branches],
            "publication": publication.published_on.isoformat() if publication else None,
            "sent_at": sent.sent_at.isoformat(),
            "age_s": round(age, 1),
            "stale": age > stale_after_s or publication is None or publication.published_on != quarter,
        }
        if publication is None or publication.published_on != quarter:
            complete = False
        if publication is None:
            continue
        hosted = {b.value for b in sent.branches}
        rows = _hosted_rows(publication, hosted)
        for branch, row in rows.items():
            if branch == TOTAL:
                for headline, count in row.items():
                    totals.setdefault(headline, []).append(count)
            else:
                by_branch[branch] = {"region": name, **_row(row)}
        definitions.update({b.value: d for b, d in publication.definitions.items() if b.value in hosted})
    total = {
        headline: sum(c for c in counts if c is not None) if complete and None not in counts else None
        for headline, counts in totals.items()
    }
    return {
        "publication": quarter.isoformat() if quarter else None,
        "complete": complete,
        "regions": regions,
        "definitions": dict(sorted(definitions.items())),
        "by_branch": dict(sorted(by_branch.items())),
        "total": _row(total),
        "suppressed_below": max((f.suppressed_below for f in figures.values()), default=None),
    }
