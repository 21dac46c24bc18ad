"""A demo scenario: a data file (TOML), validated with errors that name the field."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Hashable, Mapping
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.tenancy import OFFICES, Tenant


def _area_of(office: str) -> str | None:
    """The area a scenario plans an office's duos in: for BE the memorandum's, a Flemish province or Brussels (it
    plans no Walloon office); for another branch (an NL/FR scenario, `duo demo --regions`), the office's province."""
    tenant, region, province = OFFICES[office]
    if tenant is not Tenant.BE:
        return province
    return province if region == "Flanders" else region if region == "Brussels" else None


def _area_offices() -> dict[str, tuple[str, ...]]:
    """Each area's offices, sorted."""
    areas: dict[str, tuple[str, ...]] = {}
    for office in sorted(OFFICES):
        area = _area_of(office)
        if area is not None:
            areas[area] = (*areas.get(area, ()), office)
    return areas


AREA_OFFICES = _area_offices()
AREAS = tuple(AREA_OFFICES)
AREA_BRANCH = {area: OFFICES[offices[0]][0].value for area, offices in AREA_OFFICES.items()}
# What a scaled total is shared out to first: the memorandum's regions, and each other branch as a whole.
REGIONS: dict[str, tuple[str, ...]] = {
    "Flanders": ("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant"),
    "Brussels": ("Brussels",),
    **{
        branch.value: tuple(a for a in AREAS if AREA_BRANCH[a] == branch.value)
        for branch in Tenant
        if branch is not Tenant.BE
    },
}
ROUNDING_RULE = (
    "largest remainder, from the top: the plan's total x scale rounded half up, shared out to the regions (another "
    "branch: its areas together), each region's to its areas, each area's to its years (each gets its exact share's "
    "whole part, the largest remainders one more; equal remainders: the larger exact share, then the earlier area or "
    "year). So the total, each region's and each area's stay their exact share rounded; a year over the areas may "
    "differ by one."
)


K = TypeVar("K", bound=Hashable)


def largest_remainder(shares: Mapping[K, Fraction], total: int) -> dict[K, int]:
    """`total` shared out in proportion to `shares` (which add up to within one of it): each its share's whole
    part, and the parts left one each to the largest remainders (equal ones: the larger share, then the earlier)."""
    floors = {key: math.floor(share) for key, share in shares.items()}
    order = sorted(shares, key=lambda k: (-(shares[k] - floors[k]), -shares[k], list(shares).index(k)))
    for key in order[: total - sum(floors.values())]:
        floors[key] += 1
    return floors


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


DEFAULT = "memorandum-2024-2027.toml"


class Probabilities(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positive_exit: float = Field(ge=0, le=1)
    sustainable_work: float = Field(ge=0, le=1)
    mentor_continues: float = Field(ge=0, le=1)
    more_self_confidence: float = Field(ge=0, le=1)
    more_autonomous_job_search: float = Field(ge=0, le=1)
    mentor_helped_with_problems: float = Field(ge=0, le=1)
    mentor_feels_useful: float = Field(ge=0, le=1)
    mentor_professional_value: float = Field(ge=0, le=1)
    mentee_accepts: float = Field(gt=0, le=1)
    mentor_accepts: float = Field(gt=0, le=1)
    meeting_missed: float = Field(ge=0, lt=1)
    stopped_early: float = Field(ge=0, le=1)

    @field_validator("sustainable_work")
    @classmethod
    def _within_positive(cls, value: float, info) -> float:
        if value > info.data.get("positive_exit", 1):
            raise ValueError("sustainable work is a positive exit: it cannot be more likely than positive_exit")
        return value


class Mentoring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(ge=1, le=24)


class Scenario(BaseModel):
    """Duos to form per area and year, and the probabilities of what happens in them."""

    model_config = ConfigDict(extra="forbid")

    name: str
    seed: int
    first_year: int = Field(ge=2000, le=2100)
    duos: dict[str, list[int]]
    probabilities: Probabilities
    mentoring: Mentoring

    @field_validator("duos")
    @classmethod
    def _known_areas_and_years(cls, duos: dict[str, list[int]]) -> dict[str, list[int]]:
        unknown = sorted(set(duos) - set(AREAS))
        if unknown:
            raise ValueError(f"unknown areas {unknown}; use {', '.join(AREAS)}")
        lengths = {len(years) for years in duos.values()}
        if len(lengths) != 1 or not lengths.pop():
            raise ValueError("every area needs the same number of years (at least one)")
        if any(n < 0 for years in duos.values() for n in years):
            raise ValueError("a number of duos cannot be negative")
        return duos

    @property
    def branches(self) -> list[str]:
        """The branches whose offices the scenario's areas are in, sorted."""
        return sorted({AREA_BRANCH[area] for area in self.duos})

    @property
    def years(self) -> list[int]:
        return [self.first_year + i for i in range(len(next(iter(self.duos.values()))))]

    def scaled(self, scale: float) -> dict[str, list[int]]:
        """The duos to form at a scale, rounded by ROUNDING_RULE (largest remainder, from the plan's total down to
        each area's years), so that every total the scale allows stays exact; a whole plan at scale 1 is itself."""
        factor = Fraction(str(scale))
        exact = {area: [n * factor for n in years] for area, years in self.duos.items()}
        regions = {name: [a for a in areas if a in exact] for name, areas in REGIONS.items()}
        regions = {name: areas for name, areas in regions.items() if areas}
        region_shares: dict[Hashable, Fraction] = {
            name: Fraction(sum(sum(exact[a]) for a in areas)) for name, areas in regions.items()
        }
        by_region = largest_remainder(region_shares, _half_up(Fraction(sum(region_shares.values()))))
        scaled: dict[str, list[int]] = {}
        for name, areas in regions.items():
            area_shares: dict[Hashable, Fraction] = {a: Fraction(sum(exact[a])) for a in areas}
            by_area = largest_remainder(area_shares, by_region[name])
            for area in areas:
                year_shares: dict[Hashable, Fraction] = dict(enumerate(exact[area]))
                years = largest_remainder(year_shares, by_area[area])
                scaled[area] = [years[i] for i in range(len(exact[area]))]
        return {area: scaled[area] for area in self.duos}


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem named."""


def load(path: Path | None = None, packaged: str = DEFAULT) -> Scenario:
    """A scenario from a file (when None, the one of devtool/demo/scenarios named `packaged`: the default one)."""
    text = path.read_text() if path else resources.files("devtool.demo").joinpath("scenarios", packaged).read_text()
    where = str(path or packaged)
    try:
        return Scenario.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}: not valid TOML: {err}") from None
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise ScenarioError(f"{where}: {problems}") from None
