"""The day a fact was recorded, in its branch's zone, as SQL: what a figure or a list as of a day compares with."""

from __future__ import annotations

from shared.tenancy import TIMEZONES


def recorded_day(alias: str, tenant: str | None = None) -> str:
    """SQL: the day `alias`'s fact was recorded, in its branch's zone (a cutoff is the end of a day there)."""
    zone = "CASE " + (tenant or f"{alias}.tenant") + " "
    zone += " ".join(f"WHEN '{t.value}' THEN '{z.key}'" for t, z in TIMEZONES.items()) + " END"
    return f"({alias}.recorded_at AT TIME ZONE {zone})::date"
