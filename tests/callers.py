"""A coordinator calling a service's handlers in a unit test: who, which branch and offices, and when."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.commanding.caller import Caller
from shared.tenancy import Tenant


def coordinator(now: datetime, tenant: Tenant = Tenant.BE, offices: set[str] | None = None) -> Caller:
    """A coordinator of `tenant` (limited to `offices` when given) whose command reads the clock at `now`."""
    restricted = frozenset(offices) if offices is not None else None
    return Caller("coordinator-1", tenant, uuid.uuid4(), now, offices=restricted)
