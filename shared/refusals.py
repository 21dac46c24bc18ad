"""What every refusal is: a 4xx that names the fields and rules it broke (shared/commanding/errors.py has the
common ones, each service's domain its own). A leaf, so that both the commands and the authentication (401, 403)
can refuse without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
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
