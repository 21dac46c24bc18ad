"""Intake's own refusals, on top of the platform's (shared.commanding.errors). Pure."""

from __future__ import annotations

import uuid

from shared.commanding.errors import CommandRefused, FieldProblem


class NotEligible(CommandRefused):
    """The person fails one or more eligibility rules of their country branch."""

    status = 422

    def __init__(self, problems: tuple[FieldProblem, ...]) -> None:
        super().__init__("not eligible: " + "; ".join(p.message for p in problems), problems)


class DuplicatePerson(CommandRefused):
    """Someone with this e-mail address is already registered in the country branch."""

    status = 409

    def __init__(self, existing_id: uuid.UUID, existing_kind: str, existing_status: str | None) -> None:
        message = f"this e-mail address is already registered in this country branch, for a {existing_kind}"
        if existing_status == "withdrawn":
            # The person comes back on their own id, not as somebody new.
            route = f"POST /{existing_kind}s/{existing_id}/rejoin"
            message += f" who has withdrawn; to come back they rejoin on the same id: {route}"
        super().__init__(
            message,
            (FieldProblem("email", "unique_email", message),),
            existing_id=existing_id,
            existing_kind=existing_kind,
            existing_status=existing_status,
        )
        self.existing_id, self.existing_kind, self.existing_status = existing_id, existing_kind, existing_status


class PersonWithdrawn(CommandRefused):
    """The person left the programme; their profile can no longer change."""

    status = 409

    def __init__(self, kind: str) -> None:
        message = f"this {kind} has withdrawn from the programme"
        super().__init__(message, (FieldProblem("status", "not_withdrawn", message),))


class PersonErased(CommandRefused):
    """The person's personal data was erased; nothing about them can change any more."""

    status = 409

    def __init__(self, kind: str) -> None:
        message = f"this {kind}'s personal data was erased; the record is closed"
        super().__init__(message, (FieldProblem("status", "not_erased", message),))


class NotWithdrawn(CommandRefused):
    """Only a person who withdrew can rejoin."""

    status = 409

    def __init__(self, kind: str) -> None:
        message = f"this {kind} has not withdrawn: only a person who withdrew can rejoin"
        super().__init__(message, (FieldProblem("status", "withdrawn", message),))


class AlreadyReady(CommandRefused):
    """The mentee is ready for matching: the intake interview is behind them."""

    status = 409

    def __init__(self) -> None:
        message = "this mentee is already ready for matching; the intake interview is behind them"
        super().__init__(message, (FieldProblem("status", "not_ready_for_matching", message),))
