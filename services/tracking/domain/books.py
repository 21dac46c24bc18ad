"""A branch's books: its money per region and year (a finance officer's figures) and its history before the
platform (opening figures, recorded by the branch's admin). Pure: the caller passes the branch's `today`.

Each branch keeps one stream of money figures (`finances-<id>`) and one of opening figures (`opening-<id>`), their
ids derived from the branch, so that every figure of a branch is decided on one folded state (an overlapping
period is seen) and two concurrent commands are ordered by the stream's version. A figure is an amount as it now
stands: a later one for the same kind, region and year replaces it, and reporting reads the latest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Literal

from services.tracking.domain.errors import AlreadyRecorded
from shared.commanding.aggregate import Aggregate
from shared.commanding.caller import Caller
from shared.commanding.errors import InvalidField, OutsideOffices
from shared.commanding.handlers import Command
from shared.events.catalog import MONEY_FIGURES, MoneyFigureRecorded, OpeningFiguresRecorded
from shared.events.envelope import EventEnvelope
from shared.tenancy import OFFICES, Tenant

MoneyKind = Literal[
    "budget", "planned_costs", "actual_costs", "subsidy_requested", "subsidy_granted", "subsidy_received"
]
# Money already spent or received is of a year that has begun; a budget, a plan or a request may look ahead (the
# memorandum's annex plans four years: 2024-2027).
SPENT_OR_RECEIVED = frozenset({"actual_costs", "subsidy_received"})
FIRST_YEAR = 2000
YEARS_AHEAD = 5
_KIND_OF = {model.event_type: kind for kind, model in MONEY_FIGURES.items()}
_BOOKS = uuid.UUID("5f0b6a1e-3c1d-4c9e-9a57-2f4f1b0d6c21")  # the namespace of the books' stream ids


def regions_of(tenant: Tenant) -> tuple[str, ...]:
    """The branch's regions, in the order of its offices (shared/tenancy.OFFICES)."""
    return tuple(dict.fromkeys(region for branch, region, _ in OFFICES.values() if branch == tenant))


def offices_of(tenant: Tenant, region: str) -> tuple[str, ...]:
    """The offices of one region of the branch, in OFFICES' order."""
    return tuple(office for office, (branch, r, _) in OFFICES.items() if branch == tenant and r == region)


def books_id(tenant: Tenant, books: str) -> uuid.UUID:
    """The id of a branch's stream of `books` ("finances" or "opening"): the same for every command of the branch."""
    return uuid.uuid5(_BOOKS, f"{books}/{tenant.value}")


def check_region(caller: Caller, region: str) -> str:
    """A region of the caller's branch, whose offices the caller may all reach; the office its events are filed
    under (the region's first: an envelope names an office, a region's figure belongs to all of them)."""
    offices = offices_of(caller.tenant, region)
    if not offices:
        known = ", ".join(regions_of(caller.tenant))
        raise InvalidField("region", "region_of_branch", f"{region!r} is not a region of the branch; one of {known}")
    for office in offices:
        if not caller.may_reach(office):
            raise OutsideOffices(office)
    return offices[0]


def check_year(year: int, today: date, spent: bool, name: str = "year") -> None:
    """A year the platform keeps: from 2000 to five years ahead, and not ahead for money spent or received."""
    last = today.year if spent else today.year + YEARS_AHEAD
    if not FIRST_YEAR <= year <= last:
        why = "money spent or received is of a year that has begun" if spent else "a plan looks at most 5 years ahead"
        raise InvalidField(name, "year_in_range", f"must be from {FIRST_YEAR} to {last} ({why})")


# --- Money ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finances:
    """The branch's money figures as they now stand: (kind, region, year) -> cents."""

    version: int = 0
    figures: MappingProxyType[tuple[str, str, int], int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RecordMoneyFigure(Command[Finances]):
    """A money figure of one region and year: budget, planned or actual costs, subsidy requested/granted/received."""

    kind: MoneyKind
    region: str
    year: int
    amount_cents: int
    currency: str = "EUR"


def _evolve_finances(state: Finances, envelope: EventEnvelope) -> Finances:
    kind, data = _KIND_OF.get(envelope.event_type), envelope.data
    if kind is None:
        return state
    figures = dict(state.figures)
    figures[(kind, data["region"], int(data["year"]))] = int(data["amount_cents"])
    return replace(state, figures=MappingProxyType(figures))


FINANCES = Aggregate[Finances]("finances", Finances(), _evolve_finances)


def record_money_figure(state: Finances, cmd: RecordMoneyFigure, caller: Caller) -> list[MoneyFigureRecorded]:
    """The figure, checked; nothing when it already stands at this amount (a repeat records nothing twice)."""
    if cmd.kind not in MONEY_FIGURES:
        raise InvalidField("kind", "money_kind", f"one of {', '.join(MONEY_FIGURES)}")
    if cmd.currency != "EUR":
        raise InvalidField("currency", "currency_of_branch", "amounts are recorded in EUR")
    if cmd.amount_cents < 0:
        raise InvalidField("amount_cents", "not_negative", "an amount is never negative")
    check_region(caller, cmd.region)
    check_year(cmd.year, caller.today, cmd.kind in SPENT_OR_RECEIVED)
    if state.figures.get((cmd.kind, cmd.region, cmd.year)) == cmd.amount_cents:
        return []
    event = MONEY_FIGURES[cmd.kind](region=cmd.region, year=cmd.year, amount_cents=cmd.amount_cents)
    return [event]


# --- Opening figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opening:
    """One region's counts over one period before the platform (None: not stated), and where they come from."""

    duos_formed: int | None
    positive_exits: int | None
    sustainable_jobs: int | None
    active_mentors: int | None
    source: str


@dataclass(frozen=True)
class OpeningBooks:
    """The branch's opening figures as they now stand: (region, first year, last year) -> counts."""

    version: int = 0
    periods: MappingProxyType[tuple[str, int, int], Opening] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RecordOpeningFigures(Command[OpeningBooks]):
    """What a region achieved before the platform, over whole years."""

    region: str
    first_year: int
    last_year: int
    duos_formed: int | None
    positive_exits: int | None
    sustainable_jobs: int | None
    active_mentors: int | None
    source: str


def _evolve_opening(state: OpeningBooks, envelope: EventEnvelope) -> OpeningBooks:
    if envelope.event_type != OpeningFiguresRecorded.event_type:
        return state
    d = envelope.data
    periods = dict(state.periods)
    periods[(d["region"], int(d["first_year"]), int(d["last_year"]))] = Opening(
        d.get("duos_formed"), d.get("positive_exits"), d.get("sustainable_jobs"), d.get("active_mentors"), d["source"]
    )
    return replace(state, periods=MappingProxyType(periods))


OPENING = Aggregate[OpeningBooks]("opening", OpeningBooks(), _evolve_opening)
_COUNTS = ("duos_formed", "positive_exits", "sustainable_jobs", "active_mentors")


def record_opening_figures(
    state: OpeningBooks, cmd: RecordOpeningFigures, caller: Caller
) -> list[OpeningFiguresRecorded]:
    """The period's counts, checked: whole years before today, at least one count, outcomes no more than the duos
    (a sustainable job is a positive exit), and no period of the region overlapping another (a year counted in
    two periods would be counted twice)."""
    check_region(caller, cmd.region)
    check_year(cmd.first_year, caller.today, spent=True, name="first_year")
    check_year(cmd.last_year, caller.today, spent=True, name="last_year")
    if cmd.last_year < cmd.first_year:
        raise InvalidField("last_year", "not_before_first_year", "the period ends in or after its first year")
    counts = {name: getattr(cmd, name) for name in _COUNTS}
    for name, value in counts.items():
        if value is not None and value < 0:
            raise InvalidField(name, "not_negative", "a count is never negative")
    if all(value is None for value in counts.values()):
        raise InvalidField("duos_formed", "some_count", "state at least one count")
    _no_more_than(cmd.positive_exits, cmd.duos_formed, "positive_exits", "duos_formed")
    _no_more_than(cmd.sustainable_jobs, cmd.positive_exits, "sustainable_jobs", "positive_exits")
    _no_more_than(cmd.sustainable_jobs, cmd.duos_formed, "sustainable_jobs", "duos_formed")
    if not cmd.source.strip():
        raise InvalidField("source", "document_title", "name the document the figures come from")
    period = (cmd.region, cmd.first_year, cmd.last_year)
    for region, first, last in state.periods:
        if region == cmd.region and (first, last) != period[1:] and first <= cmd.last_year and cmd.first_year <= last:
            raise AlreadyRecorded(
                "first_year", "no_overlapping_period", f"{region} has figures for {first}-{last}, which overlaps"
            )
    opening = Opening(cmd.duos_formed, cmd.positive_exits, cmd.sustainable_jobs, cmd.active_mentors, cmd.source)
    if state.periods.get(period) == opening:
        return []
    return [
        OpeningFiguresRecorded(
            region=cmd.region, first_year=cmd.first_year, last_year=cmd.last_year, source=cmd.source, **counts
        )
    ]


def _no_more_than(part: int | None, whole: int | None, part_name: str, whole_name: str) -> None:
    if part is not None and whole is not None and part > whole:
        raise InvalidField(part_name, f"at_most_{whole_name}", f"cannot be more than {whole_name} ({whole})")
