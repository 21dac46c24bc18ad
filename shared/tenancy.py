"""Country branches (tenants) and the offices each one runs."""

from __future__ import annotations

from enum import StrEnum


class Tenant(StrEnum):
    """A country branch: each has its own people and data on shared infrastructure."""

    BE = "BE"
    NL = "NL"
    FR = "FR"


# Office code -> (tenant, region, province or None). Provinces matter for the
# 2024-27 plan, which sets targets per Flemish province (DOMAIN.md).
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
    "be-liege": (Tenant.BE, "Wallonia", "Liège"),
    "be-charleroi": (Tenant.BE, "Wallonia", "Hainaut"),
    "nl-amsterdam": (Tenant.NL, "Noord-Holland", "Noord-Holland"),
    "nl-rotterdam": (Tenant.NL, "Zuid-Holland", "Zuid-Holland"),
    "fr-paris": (Tenant.FR, "Île-de-France", "Paris"),
    "fr-lille": (Tenant.FR, "Hauts-de-France", "Nord"),
    "fr-lyon": (Tenant.FR, "Auvergne-Rhône-Alpes", "Rhône"),
    "fr-marseille": (Tenant.FR, "Provence-Alpes-Côte d'Azur", "Bouches-du-Rhône"),
}


class UnknownOffice(ValueError):
    """The office code is not one of the tenant's offices."""


def tenant_of_office(office: str) -> Tenant:
    """The country branch that runs an office; raises UnknownOffice if there is none."""
    try:
        return OFFICES[office][0]
    except KeyError:
        raise UnknownOffice(f"unknown office {office!r}; known offices: {', '.join(sorted(OFFICES))}") from None


def offices_of(tenant: Tenant) -> list[str]:
    """All office codes of one country branch, sorted."""
    return sorted(code for code, (owner, _, _) in OFFICES.items() if owner == tenant)
