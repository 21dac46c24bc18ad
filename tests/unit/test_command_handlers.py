"""A service's handler table: each command type with one handler, dispatched on the command's type."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from shared.commanding.caller import Caller
from shared.commanding.handlers import Handlers
from shared.tenancy import Tenant

WHO = Caller("coordinator-1", Tenant.BE, uuid.uuid4(), datetime(2026, 6, 15, tzinfo=UTC))


@dataclass(frozen=True)
class Open:
    name: str


@dataclass(frozen=True)
class Close:
    name: str


async def open_it(unit: list[str], cmd: Open, caller: Caller) -> str:
    unit.append(f"opened {cmd.name} for {caller.actor}")
    return "opened"


async def close_it(unit: list[str], cmd: Close, caller: Caller) -> int:
    unit.append(f"closed {cmd.name}")
    return len(unit)


async def test_each_command_goes_to_its_own_handler_with_the_unit_and_the_caller():
    table = Handlers[list[str]]().on(Open, open_it).on(Close, close_it)
    unit: list[str] = []
    assert await table.execute(unit, Open("a"), WHO) == "opened"
    assert await table.execute(unit, Close("a"), WHO) == 2
    assert unit == ["opened a for coordinator-1", "closed a"] and set(table) == {Open, Close}


async def test_a_command_type_has_one_handler_and_an_unknown_one_none():
    table = Handlers[list[str]]().on(Open, open_it)
    with pytest.raises(ValueError, match="Open has a handler already"):
        table.on(Open, open_it)
    with pytest.raises(KeyError):
        await table.execute([], Close("a"), WHO)
