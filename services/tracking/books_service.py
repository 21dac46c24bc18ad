"""The handlers of a branch's books: load the branch's stream, decide, append, in the command's transaction.

The region's first office files the events (books.check_region): an envelope names an office, and a region's
figure is filed under one of its own.
"""

from __future__ import annotations

from services.tracking.domain import books
from services.tracking.domain.books import FINANCES, OPENING, Finances, OpeningBooks
from shared.commanding.caller import Caller
from shared.commanding.unit import Unit, load, record
from shared.eventstore.base import Tx


async def record_money_figure(unit: Unit[Tx], cmd: books.RecordMoneyFigure, caller: Caller) -> Finances:
    """A money figure of a region and year (a finance officer's)."""
    record_id = books.books_id(caller.tenant, "finances")
    state = await load(unit, FINANCES, record_id, caller)
    events = books.record_money_figure(state, cmd, caller)
    return await record(unit, FINANCES, state, record_id, books.check_region(caller, cmd.region), events, caller)


async def record_opening_figures(unit: Unit[Tx], cmd: books.RecordOpeningFigures, caller: Caller) -> OpeningBooks:
    """A region's figures before the platform, over a period (the branch admin's)."""
    record_id = books.books_id(caller.tenant, "opening")
    state = await load(unit, OPENING, record_id, caller)
    events = books.record_opening_figures(state, cmd, caller)
    return await record(unit, OPENING, state, record_id, books.check_region(caller, cmd.region), events, caller)


async def finances(unit: Unit[Tx], caller: Caller) -> Finances:
    """The branch's money figures as they now stand."""
    return await load(unit, FINANCES, books.books_id(caller.tenant, "finances"), caller)


async def opening(unit: Unit[Tx], caller: Caller) -> OpeningBooks:
    """The branch's opening figures as they now stand."""
    return await load(unit, OPENING, books.books_id(caller.tenant, "opening"), caller)
