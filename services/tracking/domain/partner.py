"""A partner: an organisation of the branch that duos work with (a public service, a local association, an
employer), registered by a coordinator so that a duo's referrals name it. Pure.

The partner's stream (`partner-<id>`) holds its kind; its name is organisation data that no other service needs,
so it stays in tracking's partner table, written in the same transaction (docs/adr/0029).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.tracking.domain import rules
from services.tracking.domain.errors import AlreadyRecorded
from shared.commanding.handlers import Command
from shared.events.catalog import PartnerKind, PartnerRegistered
from shared.organisations import check_name


@dataclass(frozen=True)
class RegisterPartner(Command["RegisteredPartner"]):
    """A coordinator registers an organisation at an office of their branch."""

    partner_id: uuid.UUID
    office: str
    kind: str
    name: str


@dataclass(frozen=True)
class RegisteredPartner:
    """A partner as registered (version: of its stream)."""

    partner_id: uuid.UUID
    office: str
    kind: PartnerKind
    name: str
    version: int = 1


def register_partner(cmd: RegisterPartner, existing: uuid.UUID | None) -> tuple[str, list[PartnerRegistered]]:
    """The partner's checked name and its registration; refused when the branch already has one by that name
    (`existing`)."""
    name = check_name("name", cmd.name)
    kind = rules.check_known("kind", cmd.kind, rules.PARTNER_KINDS, "known_kind")
    if existing is not None:
        raise AlreadyRecorded("name", "partner_once", f"the branch already has this partner: {existing}")
    return name, [PartnerRegistered(partner_id=cmd.partner_id, kind=kind)]
