"""What every refusal is: a 4xx that names the fields and rules it broke (shared/commanding/errors.py has the
common ones, each service's domain its own). A leaf, so that both the commands and the authentication (401, 403)
can refuse without importing each other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule: which field, which rule, and a message a coordinator can act on."""

    field: str
    rule: str
    message: str


class CommandRefused(Exception):
    """Base of every refusal answered with a 4xx; `ids` are extra fields of the answer (such as existing_id)."""

    status: ClassVar[int] = 409

    def __init__(self, detail: str, problems: tuple[FieldProblem, ...] = (), **ids: Any) -> None:
        super().__init__(detail)
        self.detail, self.problems, self.ids = detail, problems, ids

    def at(self, place: str) -> CommandRefused:
        """The same refusal (class, status, rule, message) with its fields named under `place`: an item of a batch
        (`duos.3` and `ended_on` give `duos.3.ended_on`)."""
        moved = type(self).__new__(type(self))
        moved.__dict__.update(self.__dict__)
        moved.args = (f"{place}: {self.detail}",)
        moved.detail = moved.args[0]
        moved.problems = tuple(replace(p, field=f"{place}.{p.field}") for p in self.problems)
        return moved


@contextmanager
def placed(place: str) -> Iterator[None]:
    """Every refusal raised inside names its fields under `place` (see CommandRefused.at)."""
    try:
        yield
    except CommandRefused as refused:
        raise refused.at(place) from refused
