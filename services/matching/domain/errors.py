"""Matching's own refusals, on top of the platform's (shared.commanding.errors). Pure."""

from __future__ import annotations

from shared.commanding.errors import CommandRefused, FieldProblem


class NotMatchable(CommandRefused):
    """The pair cannot be proposed: a hard rule is broken, or one of them is not free."""

    status = 409

    def __init__(self, rule: str, message: str, field: str = "mentor_id") -> None:
        super().__init__(f"cannot propose this pair: {message}", (FieldProblem(field, rule, message),))


class ProposalClosed(CommandRefused):
    """The proposal was already decided, formed or expired."""

    status = 409

    def __init__(self, status: str) -> None:
        message = f"this proposal is {status}; nothing about it can change"
        super().__init__(message, (FieldProblem("proposal_id", "open_proposal", message),))


class TooEarly(CommandRefused):
    """An answer before the first meeting took place."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, (FieldProblem("side", "after_first_meeting", message),))
