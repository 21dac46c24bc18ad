"""A service's handler table: each command type with the one handler that carries it out.

A command declares what its handler answers (`class RegisterMentee(Command[ApplicationOutcome])`), and
`RegisterMentee.handled_by(register_mentee)` type-checks the pair: mypy refuses a handler that does not take
that command or does not answer what it declares. `Handlers.execute` dispatches on the command's type and is
typed `Command[A] -> A`, so a caller of a service's `execute` gets the answer's own type, never `Any`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from shared.commanding.caller import Caller

U = TypeVar("U")  # the service's unit of work
U_contra = TypeVar("U_contra", contravariant=True)
A = TypeVar("A")  # what a command's handler answers
C = TypeVar("C", bound="Command[Any]")  # one command type


@dataclass(frozen=True)
class Route(Generic[U_contra]):
    """One command type and its handler, checked together by `Command.handled_by`."""

    command: type[Command[Any]]
    handler: Callable[[U_contra, Any, Caller], Awaitable[object]]


class Command(Generic[A]):
    """What a caller asks a service to do, answered with an `A` by its handler."""

    @classmethod
    def handled_by(cls: type[C], handler: Callable[[U, C, Caller], Awaitable[A]]) -> Route[U]:
        """This command type's handler: it takes this command and answers what the command declares (mypy
        binds `A` from the class's `Command[A]` base)."""
        return Route(cls, handler)


class Handlers(Generic[U]):
    """Command type -> handler, for one service's unit of work `U`."""

    def __init__(self, *routes: Route[U]) -> None:
        self._by_type: dict[type[Command[Any]], Callable[[U, Any, Caller], Awaitable[object]]] = {}
        for route in routes:
            if route.command in self._by_type:
                raise ValueError(f"{route.command.__name__} has a handler already")
            self._by_type[route.command] = route.handler

    def __iter__(self) -> Iterator[type[Command[Any]]]:
        """The command types handled."""
        return iter(self._by_type)

    async def execute(self, unit: U, command: Command[A], caller: Caller) -> A:
        """Carry out one command with its handler (KeyError for a command type nobody handles)."""
        # The cast holds because `handled_by` only pairs a command type with a handler answering its `A`.
        return cast(A, await self._by_type[type(command)](unit, command, caller))
