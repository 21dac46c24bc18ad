"""Intake's domain errors: each names the field and the rule it broke. The API maps them to 4xx answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule: which field, which rule, and a message a coordinator can act on."""

    field: str
    rule: str
    message: str


class IntakeError(Exception):
    """Base of every refusal intake answers with a 4xx."""

    def __init__(self, detail: str, problems: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(detail)
        self.detail, self.problems = detail, problems


class InvalidField(IntakeError):
    """A value breaks a rule that no registration or change may break."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"invalid request: {field}: {message}", (FieldProblem(field, rule, message),))


class NotEligible(IntakeError):
    """The person fails one or more eligibility rules of their country branch."""

    def __init__(self, problems: tuple[FieldProblem, ...]) -> None:
        super().__init__("not eligible: " + "; ".join(p.message for p in problems), problems)


class DuplicatePerson(IntakeError):
    """Someone with this e-mail address is already registered in the country branch."""

    def __init__(self, existing_id: uuid.UUID, existing_kind: str, existing_status: str | None) -> None:
        message = f"this e-mail address is already registered in this country branch, for a {existing_kind}"
        if existing_status == "withdrawn":
            # Rejoining is a later feature: until then a coordinator must know why the person is refused.
            message += " who has withdrawn; rejoining the programme is not possible yet"
        super().__init__(message, (FieldProblem("email", "unique_email", message),))
        self.existing_id, self.existing_kind, self.existing_status = existing_id, existing_kind, existing_status


class PersonNotFound(IntakeError):
    """No mentee or mentor of the caller's branch has this id (another branch's people are not found either)."""

    def __init__(self, kind: str) -> None:
        message = f"no {kind} with this id in this country branch"
        super().__init__(message, (FieldProblem(f"{kind}_id", "known_id", message),))


class PersonWithdrawn(IntakeError):
    """The person left the programme; their profile can no longer change."""

    def __init__(self, kind: str) -> None:
        message = f"this {kind} has withdrawn from the programme"
        super().__init__(message, (FieldProblem("status", "not_withdrawn", message),))


class IdempotencyKeyReused(IntakeError):
    """An Idempotency-Key was sent again with a different request."""

    def __init__(self) -> None:
        message = "this Idempotency-Key was already used for a different request; use a new key"
        super().__init__(message, (FieldProblem("Idempotency-Key", "same_request_for_same_key", message),))
