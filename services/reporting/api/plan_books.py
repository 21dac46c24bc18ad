"""The branch's books beside its duos in /plan: money per region and year with the cost per duo planned and actual,
the net return of the sustainable jobs against the actual costs, and the opening figures from before the platform,
apart from the platform's own (docs/reporting.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from services.reporting.adapters.read_books import read_books
from services.reporting.adapters.read_figures import read_figures
from services.reporting.domain.books import money_rows, net_return, opening_report, region_of_area
from services.reporting.domain.definitions import Chosen
from services.reporting.domain.report import Slice
from shared.tenancy import Tenant


async def books_beside_the_duos(
    con: asyncpg.Connection,
    branch: Tenant,
    day: date,
    cutoff: datetime,
    definitions: Chosen,
    formed_by_area: dict[tuple[str, int], int],
) -> dict[str, Any]:
    """The `money` and `opening` parts of a branch's /plan as of the end of `day`. The sustainable jobs held against
    a year's actual costs are those of the duos formed that year, under the branch's definition."""
    books = await read_books(con, branch, cutoff)
    formed: dict[tuple[str, int], int] = {}
    for (area, year), duos in formed_by_area.items():
        formed[(region_of_area(area), year)] = formed.get((region_of_area(area), year), 0) + duos
    years = sorted({year for _, year, kind in books.money if kind == "actual_costs"})
    jobs = {
        year: (await read_figures(con, Slice(branch, year=year), day, definitions, branch)).sustainable_work.numerator
        for year in years
    }
    return {
        "money": {
            "currency": "EUR",
            "amounts": "integer cents",
            "rows": money_rows(books, formed, plan_regions=branch is Tenant.BE),
            "net_return": {"definition": definitions.sustainable_work, **net_return(books, jobs)},
        },
        "opening": opening_report(books),
    }
