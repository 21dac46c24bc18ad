"""Handler tables mypy must refuse (tests/unit/test_command_handlers.py): each line marked as mypy's is an error or
the one revealed type; no other line may be."""

from shared.commanding.caller import Caller
from shared.commanding.handlers import Handlers
from tests.unit.test_command_handlers import Close, Open, close_it, open_it


async def open_and_count(unit: list[str], cmd: Open, caller: Caller) -> int:
    return len(unit)


async def on_another_unit(unit: dict[str, str], cmd: Open, caller: Caller) -> str:
    return "opened"


HANDLERS = Handlers[list[str]](
    Open.handled_by(open_it),
    Open.handled_by(close_it),  # mypy: a handler of another command
    Open.handled_by(open_and_count),  # mypy: an answer the command does not declare
    Open.handled_by(on_another_unit),  # mypy: another service's unit of work
)


async def answer(caller: Caller) -> None:
    reveal_type(await HANDLERS.execute([], Close("a"), caller))  # mypy: the closing's own type, int
