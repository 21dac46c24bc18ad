"""Who sends a command, for which branch, and the one clock reading it is decided on. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.commanding.errors import OutsideOffices
from shared.events.envelope import EventMetadata
from shared.tenancy import Tenant, local_today


@dataclass(frozen=True)
class Caller:
    """The sender of one command; `expected_version` is If-Match's (None: the latest version).

    `now` is read once per command from the app's clock, and `today` is derived from the
    same instant, so an event's time and the dates its decision checked always agree.
    """

    actor: str
    tenant: Tenant
    correlation_id: uuid.UUID
    now: datetime
    expected_version: int | None = None
    causation_id: uuid.UUID | None = None
    offices: frozenset[str] | None = None  # a coordinator limited to some offices of the branch; None: all

    def may_reach(self, office: str | None) -> bool:
        """Whether a record at `office` is within the caller's offices."""
        return self.offices is None or office in self.offices

    def unrestricted(self) -> Caller:
        """The same caller acting for the whole branch: for housekeeping a command does on the branch's behalf
        (such as expiring overdue proposals at any office), never to read or change a record for the caller."""
        return replace(self, offices=None)

    def require_office(self, office: str) -> None:
        """A caller limited to some offices acts only there."""
        if not self.may_reach(office):
            raise OutsideOffices(office)

    @property
    def today(self) -> date:
        """The branch's local date at `now` (a birthday or a training day starts at local midnight)."""
        return local_today(self.tenant, self.now)

    def metadata(self, office: str) -> EventMetadata:
        """Envelope fields for events about a record of `office`, an office of the caller's branch."""
        return EventMetadata(
            tenant=self.tenant,
            office=office,
            actor=self.actor,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            occurred_at=self.now,
        )
