"""Which offices a round or a list covers. No I/O."""

from __future__ import annotations

from shared.tenancy import OFFICES, Tenant


def offices_in(tenant: Tenant, office: str | None, province: str | None) -> list[str]:
    """The offices a round or a list covers: one office, or every office of a province of the branch."""
    if office is not None:
        return [office]
    return sorted(o for o, (owner, _, prov) in OFFICES.items() if owner == tenant and prov == province)
