"""A service's handler table: each command type with one handler, dispatched on the command's type, and typed
so that a caller gets the answer the command declares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mypy import api as mypy

from shared.commanding.caller import Caller
from shared.commanding.handlers import Command, Handlers
from shared.tenancy import Tenant

WHO = Caller("coordinator-1", Tenant.BE, uuid.uuid4(), datetime(2026, 6, 15, tzinfo=UTC))
MISTYPED = Path(__file__).parent / "bad_examples" / "mistyped_handlers.py"


@dataclass(frozen=True)
class Open(Command[str]):
    name: str


@dataclass(frozen=True)
class Close(Command[int]):
    name: str


async def open_it(unit: list[str], cmd: Open, caller: Caller) -> str:
    unit.append(f"opened {cmd.name} for {caller.actor}")
    return "opened"


async def close_it(unit: list[str], cmd: Close, caller: Caller) -> int:
    unit.append(f"closed {cmd.name}")
    return len(unit)


async def test_each_command_goes_to_its_own_handler_with_the_unit_and_the_caller() -> None:
    table = Handlers[list[str]](Open.handled_by(open_it), Close.handled_by(close_it))
    unit: list[str] = []
    assert await table.execute(unit, Open("a"), WHO) == "opened"
    assert await table.execute(unit, Close("a"), WHO) == 2
    assert unit == ["opened a for coordinator-1", "closed a"] and set(table) == {Open, Close}


async def test_a_command_type_has_one_handler_and_an_unknown_one_none() -> None:
    with pytest.raises(ValueError, match="Open has a handler already"):
        Handlers[list[str]](Open.handled_by(open_it), Open.handled_by(open_it))
    with pytest.raises(KeyError):
        await Handlers[list[str]](Open.handled_by(open_it)).execute([], Close("a"), WHO)


def test_mypy_refuses_a_handler_for_another_command_or_answer_and_types_each_answer() -> None:
    report, _, status = mypy.run([str(MISTYPED), "--no-incremental", "--show-error-codes", "--no-error-summary"])
    ours = [line for line in report.splitlines() if line.split(":")[0].endswith(MISTYPED.name)]
    lines = {int(line.split(":")[1]): line for line in ours}
    marked = {n for n, text in enumerate(MISTYPED.read_text().splitlines(), 1) if "  # mypy: " in text}
    assert status == 1 and len(marked) == 4 and set(lines) == marked, report
    assert 'Revealed type is "int"' in lines[max(marked)], report
