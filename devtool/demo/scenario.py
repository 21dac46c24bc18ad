"""A demo scenario: a data file (TOML), validated with errors that name the field."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

AREAS = ("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant", "Brussels")
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
    def years(self) -> list[int]:
        return [self.first_year + i for i in range(len(next(iter(self.duos.values()))))]

    def scaled(self, scale: float) -> dict[str, list[int]]:
        """The duos to form at a scale: each area-year rounded, so a run's target is stated exactly."""
        return {area: [round(n * scale) for n in years] for area, years in self.duos.items()}


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem named."""


def load(path: Path | None = None) -> Scenario:
    """A scenario from a file (the default one when None)."""
    text = path.read_text() if path else resources.files("devtool.demo").joinpath("scenarios", DEFAULT).read_text()
    where = str(path or DEFAULT)
    try:
        return Scenario.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}: not valid TOML: {err}") from None
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise ScenarioError(f"{where}: {problems}") from None
