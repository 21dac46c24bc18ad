"""The branch's books: money figures per region and year (a finance officer's), and the history before the
platform (opening figures, the branch admin's). Audited like every command: the token's subject is the event's
actor, an Idempotency-Key replays the first answer, and each figure is a signed event on the hash chain.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from services.tracking import books_service, service
from services.tracking.domain.books import Finances, MoneyKind, OpeningBooks, RecordMoneyFigure, RecordOpeningFigures
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.handlers import Command
from shared.commanding.http import IdempotencyHeader, IfMatchHeader, caller_of, reading, run_command
from shared.commanding.idempotency import Answer

FinanceOfficer = Annotated[Identity, Depends(authorize(Role.FINANCE_OFFICER))]
BranchAdmin = Annotated[Identity, Depends(authorize(Role.BRANCH_ADMIN))]
READERS = (Role.FINANCE_OFFICER, Role.BRANCH_ADMIN, Role.AUDITOR)
Reader = Annotated[Identity, Depends(authorize(*READERS))]
router = APIRouter(tags=["books"])


class MoneyFigure(BaseModel):
    """A money figure of one region of the branch and one year, as it now stands (it replaces the last one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "subsidy_granted", "region": "Brussels", "year": 2025, "amount_cents": 124_300_000}]
        },
    )

    kind: MoneyKind
    region: StrictStr = Field(min_length=1, max_length=60, description="a region of the branch", examples=["Brussels"])
    year: StrictInt = Field(ge=2000, le=2100, description="not ahead of this year for money spent or received")
    amount_cents: StrictInt = Field(ge=0, le=10**13, description="integer cents, never negative, never a float")
    currency: Literal["EUR"] = "EUR"


class OpeningFigures(BaseModel):
    """What a region achieved before the platform over whole years: counts left out were not stated."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region": "Brussels",
                    "first_year": 2013,
                    "last_year": 2023,
                    "duos_formed": 3400,
                    "active_mentors": 650,
                    "source": "Memorandum DUO for a JOB - Vlaamse verkiezingen 2024",
                }
            ]
        },
    )

    region: StrictStr = Field(min_length=1, max_length=60, examples=["Brussels"])
    first_year: StrictInt = Field(ge=2000, le=2100)
    last_year: StrictInt = Field(ge=2000, le=2100)
    duos_formed: StrictInt | None = Field(default=None, ge=0, le=10**7)
    positive_exits: StrictInt | None = Field(default=None, ge=0, le=10**7)
    sustainable_jobs: StrictInt | None = Field(default=None, ge=0, le=10**7)
    active_mentors: StrictInt | None = Field(default=None, ge=0, le=10**7, description="at the end of the last year")
    source: StrictStr = Field(min_length=1, max_length=200, description="the document's title, never a person's name")


class MoneyFigureView(BaseModel):
    kind: str
    region: str
    year: int
    amount_cents: int
    currency: str = "EUR"


class FinancesView(BaseModel):
    """The branch's money figures as they now stand; `version` is the stream's (ETag)."""

    version: int
    figures: list[MoneyFigureView]

    @classmethod
    def of(cls, state: Finances) -> FinancesView:
        rows = sorted(state.figures.items(), key=lambda item: (item[0][1], item[0][2], item[0][0]))
        return cls(
            version=state.version,
            figures=[MoneyFigureView(kind=k, region=r, year=y, amount_cents=cents) for (k, r, y), cents in rows],
        )


class OpeningView(OpeningFigures):
    model_config = ConfigDict(extra="forbid")


class OpeningBooksView(BaseModel):
    """The branch's opening figures as they now stand; `version` is the stream's (ETag)."""

    version: int
    periods: list[OpeningView]

    @classmethod
    def of(cls, state: OpeningBooks) -> OpeningBooksView:
        return cls(
            version=state.version,
            periods=[
                OpeningView(region=r, first_year=f, last_year=last, **o.__dict__)
                for (r, f, last), o in sorted(state.periods.items())
            ],
        )


async def _run(
    request: Request,
    identity: Identity,
    command: Command[Any],
    body: BaseModel,
    view: Any,
    idempotency_key: str | None,
    if_match: str | None,
) -> JSONResponse:
    who = caller_of(request, identity, if_match)

    async def work(unit: Any) -> Answer:
        return Answer(200, view.of(await service.execute(unit, command, who)).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


@router.get("/finances", openapi_extra=roles_doc(*READERS), response_model=FinancesView)
async def get_finances(request: Request, identity: Reader) -> JSONResponse:
    """The branch's money figures per region and year as they now stand (amounts in cents); ETag is the version."""
    async with reading(request) as unit:
        state = await books_service.finances(unit, caller_of(request, identity))
    return JSONResponse(FinancesView.of(state).model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.post(
    "/finances/figures",
    openapi_extra=roles_doc(Role.FINANCE_OFFICER),
    response_model=FinancesView,
    summary="Record a money figure",
)
async def record_money_figure(
    body: MoneyFigure,
    request: Request,
    identity: FinanceOfficer,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A budget, planned or actual costs, or a subsidy requested, granted or received, of one region of the branch
    and one year (BudgetSet, CostsPlanned, ActualCostsRecorded, SubsidyRequested, SubsidyGranted, SubsidyReceived),
    in integer cents. It replaces the figure of the same kind, region and year; the same amount again records
    nothing. 422 naming the field for a negative amount, a region not of the branch, a year out of range (actual
    costs and subsidy received: not ahead of this year; the others: at most 5 years ahead), or another currency."""
    command = RecordMoneyFigure(body.kind, body.region, body.year, body.amount_cents, body.currency)
    return await _run(request, identity, command, body, FinancesView, idempotency_key, if_match)


@router.get("/opening-figures", openapi_extra=roles_doc(*READERS), response_model=OpeningBooksView)
async def get_opening_figures(request: Request, identity: Reader) -> JSONResponse:
    """The branch's history before the platform, per region and period; ETag is the version."""
    async with reading(request) as unit:
        state = await books_service.opening(unit, caller_of(request, identity))
    return JSONResponse(OpeningBooksView.of(state).model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@router.post(
    "/opening-figures",
    openapi_extra=roles_doc(Role.BRANCH_ADMIN),
    response_model=OpeningBooksView,
    summary="Record opening figures",
)
async def record_opening_figures(
    body: OpeningFigures,
    request: Request,
    identity: BranchAdmin,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """What a region achieved before the platform over whole years (OpeningFiguresRecorded): duos formed, positive
    exits, sustainable jobs, mentors active at the end, and the document they come from. Reported apart from the
    platform's own facts, never added to them. It replaces the figures of the same region and period; 409 for a
    period overlapping another of the region; 422 naming the field for a count below zero, outcomes above the duos,
    a year ahead of this one or a period that ends before it starts."""
    command = RecordOpeningFigures(
        body.region,
        body.first_year,
        body.last_year,
        body.duos_formed,
        body.positive_exits,
        body.sustainable_jobs,
        body.active_mentors,
        body.source,
    )
    return await _run(request, identity, command, body, OpeningBooksView, idempotency_key, if_match)
