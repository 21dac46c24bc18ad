"""The programme's figures from projected counts. Pure: the adapters fetch, these functions add up."""

from __future__ import annotations

from collections.abc import Iterable


def mentee_figures(registered_by_office: Iterable[tuple[str, str, int]], refused: int) -> dict:
    """Registered mentees in total, by country branch and by office, and applications (registered + refused).

    `registered_by_office` holds (branch, office, count) rows.
    """
    by_office: dict[str, int] = {}
    by_tenant: dict[str, int] = {}
    for tenant, office, count in registered_by_office:
        by_office[office] = by_office.get(office, 0) + count
        by_tenant[tenant] = by_tenant.get(tenant, 0) + count
    total = sum(by_office.values())
    return {
        "total": total,
        "by_tenant": by_tenant,
        "by_office": by_office,
        "applications": total + refused,
        "refused_applications": refused,
    }
