"""The figures routes: each reader sees their own branch; the federation sees the roll-up across branches."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.adapters.publications import federation_publication, publication_definitions
from services.reporting.adapters.read_figures import read_figures
from services.reporting.adapters.read_lists import (
    read_duos_formed_by_office_and_year,
    read_history,
    read_mentee_counts,
)
from services.reporting.adapters.read_trail import BEFORE_ALL, read_trail_page
from services.reporting.api.plan_books import books_beside_the_duos
from services.reporting.api.trail_cursor import cursor_after, key_of, listing_digest, listing_of
from services.reporting.domain.definitions import (
    MENTOR_RETENTIONS,
    POSITIVE_EXITS,
    SUPPRESS_BELOW,
    SUSTAINABLE_WORK,
    Chosen,
)
from services.reporting.domain.figures import Figures
from services.reporting.domain.plan import (
    PLAN_VERSION,
    PlanRow,
    cost_per_duo,
    formed_by_area,
    overall_cost_per_duo,
    plan_rows,
    yearly_return,
)
from services.reporting.domain.publication import FIRST_PUBLICATION, FederationTables, publication_date
from services.reporting.domain.report import TRAILS, Slice
from services.reporting.domain.rollup import TOTAL, branches_of, rollup_of
from services.reporting.domain.target_groups import protect_target_groups
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import FIGURE_READERS, Identity, Role
from shared.commanding.errors import InvalidField, NotFound
from shared.json_answer import json_answer
from shared.tenancy import OFFICES, TIMEZONES, Tenant

router = APIRouter(tags=["figures"])
FigureReader = Annotated[Identity, Depends(authorize(*FIGURE_READERS))]
Auditor = Annotated[Identity, Depends(authorize(Role.AUDITOR, Role.BRANCH_ADMIN))]
PROVINCES = sorted({p for _, _, p in OFFICES.values() if p})
_BRANCHS_OWN = " (default: the one the branch's figures use on the day asked, docs/reporting.md)"
Definition = Annotated[
    str | None,
    Query(
        description="the sustainable-work definition to use" + _BRANCHS_OWN,
        json_schema_extra={"enum": sorted(SUSTAINABLE_WORK)},
    ),
]
PositiveExitDefinition = Annotated[
    str | None,
    Query(
        description="the positive-exit definition to use" + _BRANCHS_OWN,
        json_schema_extra={"enum": sorted(POSITIVE_EXITS)},
    ),
]
RetentionDefinition = Annotated[
    str | None,
    Query(
        description="the mentor-retention definition to use" + _BRANCHS_OWN,
        json_schema_extra={"enum": sorted(MENTOR_RETENTIONS)},
    ),
]
_KNOWN: dict[str, Mapping[str, object]] = {
    "sustainable_work": SUSTAINABLE_WORK,
    "positive_exit": POSITIVE_EXITS,
    "mentor_retention": MENTOR_RETENTIONS,
}


def _asked(**asked: str | None) -> dict[str, str | None]:
    """The definitions a caller asked for (None: the branch's own), each checked."""
    for field, key in asked.items():
        if key is not None and key not in _KNOWN[field]:
            raise InvalidField(field, "known_definition", f"one of {', '.join(sorted(_KNOWN[field]))}")
    return asked


def _definitions(branch: Tenant, day: date, asked: dict[str, str | None]) -> Chosen:
    """The definitions of the branch's figures as of `day`: its choice in force then, or those asked for."""
    return definition_choices().for_branch(branch.value, day).asked(**asked)


def _today(request: Request, branch: Tenant | None, as_of: date | None) -> date:
    """Today on the app's clock in the branch's zone (the federation's: the Belgian one); `as_of` checked."""
    if as_of is not None and not date(2000, 1, 1) <= as_of <= date(2100, 12, 31):
        raise InvalidField("as_of", "plausible_date", "must be a day between 2000-01-01 and 2100-12-31")
    return request.app.state.clock().astimezone(TIMEZONES[branch or Tenant.BE]).date()


def _cutoff(request: Request, branch: Tenant | None, as_of: date | None) -> tuple[date, datetime]:
    """The day asked for (today by default, on the app's clock) and the last moment of it in the branch's zone."""
    zone = TIMEZONES[branch or Tenant.BE]
    day = as_of or _today(request, branch, as_of)
    return day, datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC) - timedelta(microseconds=1)


def _day(request: Request, branch: Tenant | None, as_of: date | None) -> date:
    """The day asked for (today by default): a figure counts the facts recorded by its end, in each branch's zone
    (the counters' days, counters.recorded_day)."""
    return as_of or _today(request, branch, as_of)


async def _publication(request: Request, as_of: date | None, asked: dict[str, str | None]) -> FederationTables:
    """The federation's publication for the day asked (today by default): the last quarter end that is over, on or
    before it, frozen once published (docs/security.md), so that two days' tables cannot be subtracted. Each
    branch's cells are of the definitions that branch's figures used on that day, stored with them."""
    published_on = publication_date(as_of, _today(request, None, as_of))
    if published_on is None:
        raise InvalidField("as_of", "published_date", f"the federation's first publication is of {FIRST_PUBLICATION}")
    runtime = request.app.state.runtime
    branches = runtime.settings.region.branches
    async with runtime.pool.acquire() as con:
        used = await publication_definitions(con, published_on, branches)
        for field, key in asked.items():  # another definition's table, subtracted, gives a small group
            if key is not None and any(definitions[field] != key for definitions in used.values()):
                in_force = "; ".join(f"{b}: {d[field]}" for b, d in used.items())
                raise InvalidField(
                    field, "published_definition", f"the federation's tables of {published_on} are of {in_force}"
                )
        return await federation_publication(con, published_on, branches)


def _published(tables: FederationTables) -> dict[str, str]:
    return {"as_of": tables.published_on.isoformat(), "publication": tables.published_on.isoformat()}


def _slice(identity: Identity, office: str | None, province: str | None, year: int | None) -> Slice:
    if office is not None and (office not in OFFICES or OFFICES[office][0] != identity.branch):
        raise InvalidField("office", "office_of_branch", f"office {office} is not an office of the caller's branch")
    return Slice(identity.branch, office, province, year)


@router.get("/stats/mentees", openapi_extra=roles_doc(*FIGURE_READERS))
async def get_mentee_counts(request: Request, identity: FigureReader) -> dict:
    """Registered mentees and applications of the caller's branch, in total and by office; for the federation,
    the total and each branch's total (no office detail) of its last publication, from the same protected table as
    the roll-up of /figures, so that no count hidden there can be worked out here."""
    if identity.branch is None:
        tables = await _publication(request, None, {})
        counts = tables.shown_rollup()
        return {
            **_published(tables),
            "total": counts[(TOTAL, "registered")],
            "by_tenant": {b: counts[(b, "registered")] for b in branches_of(counts)},
            "applications": counts[(TOTAL, "applications")],
            "refused_applications": counts[(TOTAL, "refused")],
            "suppressed_below": SUPPRESS_BELOW,
        }
    async with request.app.state.runtime.pool.acquire() as con:
        return await read_mentee_counts(con, identity.branch)


def _for(identity: Identity, figures: Figures) -> Figures:
    """The figures as the caller may see them: a funder's target-group counts with small cells hidden."""
    return protect_target_groups(figures) if identity.role is Role.FUNDER else figures


def _whole_branches_only(**slices: object) -> None:
    """The federation reads whole branches: a slice's protected table subtracted from the whole's would give back a
    small cell that each table hides (docs/security.md)."""
    for name, value in slices.items():
        if value is not None:
            raise InvalidField(
                name, "whole_branches_for_the_federation", "the federation's roll-up is of whole branches"
            )


CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        "description": "the figures as JSON, or as CSV (`format=csv`): one row per value, its path as the key",
    }
}


@router.get("/figures", openapi_extra=roles_doc(*FIGURE_READERS), responses=CSV)
async def get_figures(
    request: Request,
    identity: FigureReader,
    office: str | None = None,
    province: Annotated[Literal[tuple(PROVINCES)] | None, Query()] = None,  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    as_of: date | None = None,
    sustainable_work: Definition = None,
    positive_exit: PositiveExitDefinition = None,
    mentor_retention: RetentionDefinition = None,
    format: Literal["json", "csv"] = "json",
):
    """The programme's figures for the caller's branch (an office, a province, a year of formation), as they stood
    at the end of `as_of`, each with the definition it was computed under: the branch's choice in force on that day,
    or the one asked for. The federation gets the roll-up of the publication of the last quarter end on or before
    `as_of` that is over (`publication`), and which definition each branch's cells use (`definitions`)."""
    day = _day(request, identity.branch, as_of)
    asked = _asked(sustainable_work=sustainable_work, positive_exit=positive_exit, mentor_retention=mentor_retention)
    if identity.branch is None:
        _whole_branches_only(province=province, year=year)
        tables = await _publication(request, as_of, asked)
        used = tables.definitions
        answer = {
            **_published(tables),
            "sustainable_work": _one_or_each({b: d["sustainable_work"] for b, d in used.items()}),
            "definitions": {b: dict(d) for b, d in used.items()},
            **rollup_of(tables.shown_rollup()).model_dump(),
        }
        return _csv(answer) if format == "csv" else json_answer(answer)
    where = _slice(identity, office, province, year)
    definitions = _definitions(identity.branch, day, asked)
    async with request.app.state.runtime.pool.acquire() as con:
        read = await read_figures(con, where, day, definitions, identity.branch)
        answer = {
            "as_of": day.isoformat(),
            "branch": identity.branch.value,
            "office": office,
            "province": province,
            "year": year,
            "figures": _for(identity, read).model_dump(),
        }
    return _csv(answer) if format == "csv" else json_answer(answer)


TRAIL_PAGE, TRAIL_PAGE_MAX = 100, 1000


@router.get("/figures/{figure}/events", openapi_extra=roles_doc(Role.AUDITOR, Role.BRANCH_ADMIN))
async def get_trail(
    figure: Literal[TRAILS],  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    request: Request,
    response: Response,
    identity: Auditor,
    office: str | None = None,
    province: Annotated[Literal[tuple(PROVINCES)] | None, Query()] = None,  # type: ignore[valid-type]  # values from the domain's list; mypy cannot read a computed Literal
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    as_of: date | None = None,
    sustainable_work: Definition = None,
    positive_exit: PositiveExitDefinition = None,
    limit: Annotated[
        int, Query(ge=1, le=TRAIL_PAGE_MAX, description=f"facts per page (at most {TRAIL_PAGE_MAX})")
    ] = TRAIL_PAGE,
    cursor: Annotated[str | None, Query(max_length=200, description="the `next` page's cursor, as it came")] = None,
) -> dict:
    """The audit trail of a figure, a page at a time: the ids of the events it counts (read each with GET /history
    of its subject), the definition it was computed under (the branch's on the day asked, or the one asked for), and
    `total`, how many the whole trail lists. The facts come in a stable order (an application's id; a duo's id, then
    each of its facts' ids); `next` (also the Link header, rel="next") asks for the page after this one, with the day
    and filters of this one: null on the last page. A fact recorded between two pages is listed once if it comes
    after the page already read, never twice; a fact already listed is never skipped (docs/reporting.md)."""
    day, cutoff = _cutoff(request, identity.branch, as_of)
    asked = _asked(sustainable_work=sustainable_work, positive_exit=positive_exit)
    where = _slice(identity, office, province, year)
    assert identity.branch is not None
    listing = listing_of(figure, day, office, province, year, **asked)
    digest = listing_digest(listing)
    after = key_of(cursor, digest) if cursor is not None else BEFORE_ALL
    definitions = _definitions(identity.branch, day, asked)
    async with request.app.state.runtime.pool.acquire() as con:
        page = await read_trail_page(con, where, day, cutoff, figure, definitions, after, limit)
    following = None
    if page.after is not None:
        same = {k: v for k, v in listing.items() if k != "figure" and v is not None}
        same |= {"limit": limit, "cursor": cursor_after(page.after, digest)}
        following = f"{request.url.path}?{urlencode(same)}"
        response.headers["Link"] = f'<{following}>; rel="next"'
    answer: dict[str, Any] = {
        "as_of": day.isoformat(),
        "figure": figure,
        "definition": page.definition,
        "total": page.total,
        "event_ids": page.event_ids,
        "next": following,
    }
    if page.denominator_duos is not None:
        answer["denominator_duos"] = page.denominator_duos
    return answer


@router.get("/plan", openapi_extra=roles_doc(*FIGURE_READERS), responses=CSV)
async def get_plan(
    request: Request,
    identity: FigureReader,
    as_of: date | None = None,
    sustainable_work: Definition = None,
    format: Literal["json", "csv"] = "json",
):
    """The memorandum's 2024-27 plan against the duos formed (per province and year; Belgian branch), the cost per
    duo, and the yearly return of the sustainable jobs against the cost. Totals are computed, never copied. Beside
    them, the branch's books (`money`, in integer cents): per region and year its budget, planned and actual costs,
    subsidies requested, granted and received, the plan's budget and subsidy, the cost per duo planned and actual,
    and the net return (a year's EUR 28,000 per sustainable job minus the actual costs, and per EUR 1,000
    invested); and its history before the platform (`opening`), apart, never added to the platform's figures. The
    federation gets the plan of its publication (as GET /figures), small cells and their complements hidden, and no
    books."""
    asked = _asked(sustainable_work=sustainable_work)
    books: dict[str, Any] = {"money": None, "opening": None}  # the federation's publication holds no books
    if identity.branch is None:
        tables = await _publication(request, as_of, asked)
        # The plan and its return are the Belgian branch's: their definition is the one its cells were computed
        # under (None in a region without it, whose plan rows are hidden).
        definition = tables.definitions.get(Tenant.BE.value, {}).get("sustainable_work")
        rows = plan_rows({cell: count for cell, count in tables.plan.counts.items() if cell[1]})
        shown: dict[tuple[str, int], int | None] = tables.shown_plan()
        # A region without the Belgian branch publishes no plan: its rows are shown as hidden.
        shown_jobs = tables.shown_rollup().get((Tenant.BE.value, "sustainable_jobs"))
        dated = _published(tables)
    else:
        day = _day(request, identity.branch, as_of)
        definitions = _definitions(identity.branch, day, asked)
        definition = definitions.sustainable_work
        rows, shown_jobs, books = await _branch_plan(request, identity.branch, day, definitions)
        shown = {(r.area, r.year): r.formed for r in rows}
        dated = {"as_of": day.isoformat()}
    answer = {
        **dated,
        "plan": PLAN_VERSION,
        "rows": [
            {
                "area": r.area,
                "year": r.year or "2024-2027",
                "planned": r.planned,
                "formed": shown.get((r.area, r.year)),
                "share": r.share if shown.get((r.area, r.year)) is not None else None,
            }
            for r in rows
        ],
        "cost_per_duo_eur": {
            "Flanders": cost_per_duo("Flanders"),
            "Brussels": cost_per_duo("Brussels"),
            "overall": overall_cost_per_duo(),
        },
        "return": {
            "sustainable_jobs": shown_jobs,
            "definition": definition,
            "eur_per_year": yearly_return(shown_jobs) if shown_jobs is not None else None,
            "eur_per_job_per_year": 28_000,
        },
        **books,
    }
    return _csv({"rows": answer["rows"]}) if format == "csv" else json_answer(answer)


async def _branch_plan(
    request: Request, branch: Tenant, day: date, definitions: Chosen
) -> tuple[list[PlanRow], int, dict[str, Any]]:
    """A branch's plan rows, the sustainable jobs held against them (the plan is the Belgian branch's: another
    branch's sustainable jobs are not held against it), and its books beside the duos (plan_books.py)."""
    _, cutoff = _cutoff(request, branch, day)
    async with request.app.state.runtime.pool.acquire() as con:
        formed = formed_by_area(await read_duos_formed_by_office_and_year(con, branch, day))
        books = await books_beside_the_duos(con, branch, day, cutoff, definitions, formed)
        if branch is not Tenant.BE:
            return plan_rows(formed), 0, books
        figures = await read_figures(con, Slice(Tenant.BE), day, definitions, branch)
    return plan_rows(formed), figures.sustainable_work.numerator, books


@router.get("/history/{subject_id}", openapi_extra=roles_doc(Role.AUDITOR, Role.BRANCH_ADMIN))
async def get_history(subject_id: uuid.UUID, request: Request, identity: Auditor) -> list[dict]:
    """Every fact about one mentee, mentor, duo or proposal across the services, oldest first: what, when it
    happened, when it was recorded, by which actor, its correlation and causation. No personal data.
    404 for a subject of another branch, as for one never seen: a branch cannot learn that an id exists."""
    assert identity.branch is not None
    async with request.app.state.runtime.pool.acquire() as con:
        history = await read_history(con, identity.branch, subject_id)
    if not history:
        raise NotFound("subject")
    return history


def _one_or_each(keys: dict[str, str]) -> str | dict[str, str]:
    """One key when every branch uses it, else each branch's."""
    return next(iter(keys.values())) if len(set(keys.values())) == 1 else keys


def _csv(answer: dict) -> PlainTextResponse:
    """Any answer as CSV: one row per leaf value, its path as the key."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "value"])
    for key, value in _leaves(answer):
        writer.writerow([key, "" if value is None else value])
    return PlainTextResponse(out.getvalue(), media_type="text/csv")


def _leaves(value, prefix: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _leaves(inner, f"{prefix}[{index}]")
    else:
        yield prefix, value
