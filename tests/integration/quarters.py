"""The quarter under way, as reporting's publications count quarters (in Brussels): shared by the tests that move a
service's clock past its end."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.reporting.domain.publication import quarter_end_on_or_before
from shared.tenancy import TIMEZONES, Tenant


def after_this_quarter() -> timedelta:
    """How far to move the service's clock for the quarter under way to be published (the federation reads only
    publications): to the day after its end."""
    today = datetime.now(TIMEZONES[Tenant.BE]).date()
    last = quarter_end_on_or_before(today)
    end = today if last == today else quarter_end_on_or_before(last + timedelta(days=95))
    return end + timedelta(days=1) - today
