"""Refusals of a command: each names the field and the rule it broke, and knows its HTTP status.

Pure: a service's domain raises these (or its own subclasses); the API turns them into
the one 4xx body shape (shared.commanding.http).
"""

from __future__ import annotations

from shared.refusals import CommandRefused, FieldProblem

# The base refusal and its problems are in shared/refusals.py, below both this package and shared/auth/ (whose
# 401 and 403 are refusals too); every refusal is still imported from here.
__all__ = ["CommandRefused", "FieldProblem", "IdempotencyKeyReused", "InvalidField", "NotFound", "OutsideOffices"]


class InvalidField(CommandRefused):
    """A value breaks a rule that no command may break."""

    status = 422

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"invalid request: {field}: {message}", (FieldProblem(field, rule, message),))


class NotFound(CommandRefused):
    """No record of this kind with this id in the caller's branch (another branch's records are not found either)."""

    status = 404

    def __init__(self, kind: str) -> None:
        message = f"no {kind} with this id in this country branch"
        super().__init__(message, (FieldProblem(f"{kind}_id", "known_id", message),))
        self.kind = kind


class IdempotencyKeyReused(CommandRefused):
    """An Idempotency-Key was sent again with a different request."""

    status = 422

    def __init__(self) -> None:
        message = "this Idempotency-Key was already used for a different request; use a new key"
        super().__init__(message, (FieldProblem("Idempotency-Key", "same_request_for_same_key", message),))


class OutsideOffices(CommandRefused):
    """The caller's token limits them to other offices of the branch."""

    status = 403

    def __init__(self, office: str) -> None:
        message = f"office {office} is not one of the offices your token allows"
        super().__init__(f"forbidden: {message}", (FieldProblem("office", "office_of_caller", message),))
