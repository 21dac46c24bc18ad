"""What crosses a region to the federation: its branches' published figures, never anything about a person. Pure
(shared/federation_messages.py puts them on the wire).

Each region's reporting sends, on its own cluster's federation topic, one message holding every publication it has
made (docs/adr/0025: the roll-up's cells and the plan's as published, a hidden cell as null, never its count), the
definitions they were computed under and when it was sent. It sends it again every DUO_FEDERATION_FEED_INTERVAL_S:
the federation tells a region that stopped sending (stale, with the age of its last figures) from one that has
nothing new. The message is a state, not a fact: keyed by the region, so a compacted topic keeps the last one, and a
message lost is replaced by the next. It is signed with reporting's event key, as every event is (docs/adr/0019),
and checked field by field on reading: counts and codes only, no id and no free text (docs/adr/0028).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.tenancy import Tenant

FIGURES_TYPE = "RegionFiguresPublished"
PRODUCER = "reporting"
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z_-]{0,39}$")]  # a branch, headline or area
Count = Annotated[int, Field(ge=0)]
Version = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,60}/v[0-9]{1,4}$")]  # a definition's key


class RegionPublication(BaseModel):
    """One quarter's publication of a region, as the federation may see it: None where a cell is hidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    published_on: date
    # Which definitions each branch's cells use (docs/reporting.md): {"BE": {"sustainable_work": "...", ...}}.
    definitions: dict[Tenant, dict[Code, Version]]
    rollup: list[tuple[Code, Code, Count | None]]  # (branch or "total", headline, count)
    plan: list[tuple[Code, Annotated[int, Field(ge=0, le=2100)], Count | None]]  # (area, year or 0, duos formed)


class RegionFigures(BaseModel):
    """Everything a region tells the federation: its branches' publications, each oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    branches: list[Tenant]
    sent_at: AwareDatetime
    plan: Version  # the plan the publications' plan cells are counted against
    suppressed_below: int
    publications: list[RegionPublication]
