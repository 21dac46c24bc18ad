"""Tracking's own refusals, on top of the platform's (shared.commanding.errors). Pure."""

from __future__ import annotations

from shared.commanding.errors import CommandRefused, FieldProblem


class DuoClosed(CommandRefused):
    """The duo ended: nothing but outcomes and follow-ups can be recorded, and those only for a while."""

    status = 409

    def __init__(self, rule: str, message: str, field: str = "duo_id") -> None:
        super().__init__(message, (FieldProblem(field, rule, message),))


class AlreadyRecorded(CommandRefused):
    """A fact that happens once per duo (or per job, per goal, per follow-up) was already recorded."""

    status = 409

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message, (FieldProblem(field, rule, message),))


class NotYet(CommandRefused):
    """The fact cannot be recorded yet (a follow-up before it is due, a goal before the plan, ...)."""

    status = 409

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message, (FieldProblem(field, rule, message),))
