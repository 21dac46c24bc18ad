"""Checks every decision shares: consent, a person who exists in the caller's branch, dates against the branch's today.

Pure: the caller passes the branch's local date in; nothing here reads a clock.
"""

from __future__ import annotations

from datetime import date

from services.intake.commands import Consents
from services.intake.errors import InvalidField, PersonNotFound, PersonWithdrawn
from services.intake.state import MenteeState, MentorState
from shared.tenancy import Tenant, UnknownOffice, tenant_of_office

CONSENTS = ("data_processing", "voluntary_participation")


def require_consents(consents: Consents) -> tuple[str, ...]:
    """Both consents must be given explicitly; nobody is registered without them."""
    for name in CONSENTS:
        if getattr(consents, name) is not True:
            raise InvalidField(f"consent.{name}", "consent_required", f"explicit consent to {name.replace('_', ' ')} is required")
    return CONSENTS


def require_office_of_branch(office: str, tenant: Tenant) -> None:
    """A coordinator works for one country branch and only registers or lists at its offices."""
    try:
        owner = tenant_of_office(office)
    except UnknownOffice as err:
        raise InvalidField("office", "known_office", str(err)) from None
    if owner != tenant:
        raise InvalidField("office", "office_of_branch", f"office {office} is not an office of the {tenant.value} branch")


def require_birth_date_not_in_future(birth_date: date, today: date) -> None:
    """A birth date after the branch's today is a typing error, not an applicant too young."""
    if birth_date > today:
        raise InvalidField("birth_date", "not_in_future", f"must not be in the future (today is {today.isoformat()})")


def require_completed_between(completed_on: date, registered_on: date, today: date) -> None:
    """A module is completed after the mentor registered and no later than the branch's today."""
    if completed_on > today:
        raise InvalidField("completed_on", "not_in_future", f"must not be in the future (today is {today.isoformat()})")
    if completed_on < registered_on:
        raise InvalidField("completed_on", "not_before_registration",
                           f"must not be before the mentor registered ({registered_on.isoformat()})")


def require_active(state: MenteeState | MentorState, kind: str) -> None:
    """Only an existing person who has not withdrawn can change."""
    if state.version == 0:
        raise PersonNotFound(kind)
    if state.status == "withdrawn":
        raise PersonWithdrawn(kind)
