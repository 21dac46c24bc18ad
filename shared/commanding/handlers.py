"""A service's handler table: each command type with the one handler that carries it out.

Registered pair by pair with `on`, which is typed so that a handler can only be registered for the
command type it takes (and on the service's unit of work); `execute` dispatches on the command's type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from shared.commanding.caller import Caller

U = TypeVar("U")  # the service's unit of work
C = TypeVar("C")  # one command type

Handler = Callable[[U, C, Caller], Awaitable[object]]


class Handlers(Generic[U]):
    """Command type -> handler, for one service's unit of work `U`."""

    def __init__(self) -> None:
        self._by_type: dict[type[Any], Callable[[U, Any, Caller], Awaitable[Any]]] = {}

    def on(self, command: type[C], handler: Callable[[U, C, Caller], Awaitable[object]]) -> Handlers[U]:
        """`handler` carries out every `command`; a command type has one handler only."""
        if command in self._by_type:
            raise ValueError(f"{command.__name__} has a handler already")
        self._by_type[command] = handler
        return self

    def __iter__(self) -> Iterator[type[Any]]:
        """The command types handled."""
        return iter(self._by_type)

    async def execute(self, unit: U, command: object, caller: Caller) -> Any:
        """Carry out one command with its handler (KeyError for a command type nobody handles)."""
        return await self._by_type[type(command)](unit, command, caller)
