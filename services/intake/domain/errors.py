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
            # Rejoining is a later feature: until then a coordinator must know why the person is refused.
            message += " who has withdrawn; rejoining the programme is not possible yet"
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
