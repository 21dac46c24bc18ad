"""Country branches (tenants) and the offices each one runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Tenant(StrEnum):
    """A country branch: each has its own people and data on shared infrastructure."""

    BE = "BE"
    NL = "NL"
    FR = "FR"


# Office code -> (tenant, region, province or None). Provinces matter for the
# 2024-27 plan, which sets targets per Flemish province (docs/domain.md lists each office and its source).
OFFICES: dict[str, tuple[Tenant, str, str | None]] = {
    "be-antwerpen": (Tenant.BE, "Flanders", "Antwerpen"),
    "be-mechelen": (Tenant.BE, "Flanders", "Antwerpen"),
    "be-turnhout": (Tenant.BE, "Flanders", "Antwerpen"),
    "be-gent": (Tenant.BE, "Flanders", "Oost-Vlaanderen"),
    "be-sint-niklaas": (Tenant.BE, "Flanders", "Oost-Vlaanderen"),
    "be-aalst": (Tenant.BE, "Flanders", "Oost-Vlaanderen"),
    "be-vilvoorde": (Tenant.BE, "Flanders", "Vlaams-Brabant"),
    "be-machelen": (Tenant.BE, "Flanders", "Vlaams-Brabant"),
    "be-grimbergen": (Tenant.BE, "Flanders", "Vlaams-Brabant"),
    "be-brussel": (Tenant.BE, "Brussels", None),
    # Placeholders until the branches confirm them (docs/domain.md): the memorandum names
    # Wallonia but no Walloon office, and no Dutch or French city at all.
    "be-liege": (Tenant.BE, "Wallonia", "Liège"),
    "be-charleroi": (Tenant.BE, "Wallonia", "Hainaut"),
    "nl-amsterdam": (Tenant.NL, "Noord-Holland", "Noord-Holland"),
    "nl-rotterdam": (Tenant.NL, "Zuid-Holland", "Zuid-Holland"),
    "fr-paris": (Tenant.FR, "Île-de-France", "Paris"),
    "fr-lille": (Tenant.FR, "Hauts-de-France", "Nord"),
    "fr-lyon": (Tenant.FR, "Auvergne-Rhône-Alpes", "Rhône"),
    "fr-marseille": (Tenant.FR, "Provence-Alpes-Côte d'Azur", "Bouches-du-Rhône"),
}


# Each branch's "today" is its own local date: a birthday, a deadline or a training day
# starts at local midnight, not at UTC's (23:30 UTC is already tomorrow in Brussels).
TIMEZONES: dict[Tenant, ZoneInfo] = {
    Tenant.BE: ZoneInfo("Europe/Brussels"),
    Tenant.NL: ZoneInfo("Europe/Amsterdam"),
    Tenant.FR: ZoneInfo("Europe/Paris"),
}


def local_today(tenant: Tenant, now: datetime | None = None) -> date:
    """The branch's local date at `now` (an aware datetime; the real time by default)."""
    return (now or datetime.now(UTC)).astimezone(TIMEZONES[tenant]).date()


def local_date(tenant: Tenant, moment: datetime) -> date:
    """The branch's local date of an aware moment, such as an event's occurred_at."""
    return moment.astimezone(TIMEZONES[tenant]).date()


class UnknownOffice(ValueError):
    """The office code is not one of the tenant's offices."""


def tenant_of_office(office: str) -> Tenant:
    """The country branch that runs an office; raises UnknownOffice if there is none."""
    try:
        return OFFICES[office][0]
    except KeyError:
        raise UnknownOffice(f"unknown office {office!r}; known offices: {', '.join(sorted(OFFICES))}") from None
