"""What a region's reporting tells the federation: its publications as the federation may see them. Pure.

Hidden cells travel as None, never with their count: the stored publication keeps the counts (reporting needs
them to protect the next quarter), the message only what the federation is shown (docs/adr/0028).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.plan import PLAN_VERSION
from services.reporting.domain.publication import FederationTables
from shared.federation_figures import RegionFigures, RegionPublication
from shared.regions import Region
from shared.tenancy import Tenant


def region_figures(region: Region, publications: Sequence[FederationTables], sent_at: datetime) -> RegionFigures:
    """The region's message: every publication (oldest first), each cell shown or None, with the definitions each
    branch's cells were computed under, as stored with the publication."""
    return RegionFigures(
        region=region.name,
        branches=sorted(region.branches),
        sent_at=sent_at,
        plan=PLAN_VERSION,
        suppressed_below=SUPPRESS_BELOW,
        publications=[
            RegionPublication(
                published_on=tables.published_on,
                definitions={Tenant(b): dict(d) for b, d in sorted(tables.definitions.items())},
                rollup=[(branch, headline, n) for (branch, headline), n in tables.shown_rollup().items()],
                plan=[(area, year, n) for (area, year), n in tables.shown_plan().items()],
            )
            for tables in publications
        ],
    )
