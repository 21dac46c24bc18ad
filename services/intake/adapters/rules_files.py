"""The branches' eligibility rules, read from their files (services/intake/rules/<BRANCH>.toml) and validated.

This is the edge: it reads files (importlib.resources or a directory) and hands the domain a pure
RuleBook. Each value in a file carries its `source`; a value no source gives is marked
`placeholder = true` until the branch confirms it. A file holds every version of its branch's
rules, each with a `valid_from` date: a published version is never edited, a change is a new version.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.intake.domain.commands import RESIDENCE_PERMITS
from services.intake.domain.rules import BranchRules, MenteeRules, MentorRules, RuleBook, RuleSource
from services.intake.domain.training import TRAINING_MODULES
from shared.tenancy import Tenant

T = TypeVar("T")


class RulesFileError(ValueError):
    """A rules file is missing, not TOML, or breaks the schema: the service must not start with it."""


class Sourced(BaseModel, Generic[T]):
    """One value and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: T
    source: str = Field(min_length=3)
    placeholder: bool = False


class MenteeSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_age: Sourced[int]
    max_age: Sourced[int]
    programme_languages: Sourced[list[str]]
    accepted_residence: Sourced[list[str]]
    requires_non_eu_background: Sourced[bool]

    @model_validator(mode="after")
    def _sane(self) -> MenteeSection:
        if not 0 < self.min_age.value <= self.max_age.value <= 120:
            raise ValueError("mentee ages must satisfy 0 < min_age <= max_age <= 120")
        _languages(self.programme_languages.value)
        unknown = set(self.accepted_residence.value) - set(RESIDENCE_PERMITS)
        if unknown or not self.accepted_residence.value:
            raise ValueError(f"accepted_residence must be some of {', '.join(RESIDENCE_PERMITS)}; unknown: {unknown}")
        return self


class MentorSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_age: Sourced[int]
    min_experience_years: Sourced[int]
    programme_languages: Sourced[list[str]]
    training_modules: Sourced[list[str]]

    @model_validator(mode="after")
    def _sane(self) -> MentorSection:
        if not 0 < self.min_age.value <= 120 or not 0 <= self.min_experience_years.value <= 70:
            raise ValueError("mentor min_age must be 1 to 120 and min_experience_years 0 to 70")
        _languages(self.programme_languages.value)
        unknown = set(self.training_modules.value) - set(TRAINING_MODULES)
        if unknown or not self.training_modules.value:
            raise ValueError(f"training_modules must be some of {', '.join(TRAINING_MODULES)}; unknown: {unknown}")
        return self


class Version(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    valid_from: date
    note: str = ""
    mentee: MenteeSection
    mentor: MentorSection


class BranchFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: Tenant
    versions: list[Version] = Field(min_length=1)

    @field_validator("versions")
    @classmethod
    def _ordered_and_unique(cls, versions: list[Version]) -> list[Version]:
        if len({v.version for v in versions}) != len(versions):
            raise ValueError("version ids must be unique")
        days = [v.valid_from for v in versions]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("versions must be listed by strictly increasing valid_from")
        return versions


def _languages(codes: list[str]) -> None:
    if not codes or any(len(c) != 2 or not c.isascii() or not c.islower() for c in codes):
        raise ValueError("programme_languages must be ISO 639-1 codes, lower case, at least one")


def _sources(prefix: str, section: BaseModel) -> dict[str, RuleSource]:
    return {
        f"{prefix}.{name}": RuleSource(value.source, value.placeholder)
        for name, value in section
        if isinstance(value, Sourced)
    }


def _branch_rules(branch: Tenant, v: Version) -> BranchRules:
    m, t = v.mentee, v.mentor
    return BranchRules(
        branch=branch,
        version=v.version,
        valid_from=v.valid_from,
        mentee=MenteeRules(
            min_age=m.min_age.value,
            max_age=m.max_age.value,
            programme_languages=frozenset(m.programme_languages.value),
            accepted_residence=frozenset(m.accepted_residence.value),
            requires_non_eu_background=m.requires_non_eu_background.value,
        ),
        mentor=MentorRules(
            programme_languages=frozenset(t.programme_languages.value),
            min_age=t.min_age.value,
            min_experience_years=t.min_experience_years.value,
            training_modules=tuple(t.training_modules.value),
        ),
        note=v.note,
        sources=_sources("mentee", m) | _sources("mentor", t),
    )


def parse_branch_file(text: str, expected: Tenant | None = None, name: str = "rules") -> tuple[BranchRules, ...]:
    """Every version in one branch's file, validated; RulesFileError naming the file and the problem."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
        parsed = BranchFile.model_validate(raw)
    except (tomllib.TOMLDecodeError, ValidationError) as err:
        raise RulesFileError(f"{name}: {err}") from err
    if expected is not None and parsed.branch != expected:
        raise RulesFileError(f"{name}: holds the rules of {parsed.branch.value}, not of {expected.value}")
    return tuple(_branch_rules(parsed.branch, v) for v in parsed.versions)


def load_rule_book(directory: Path | None = None) -> RuleBook:
    """Every branch's rules: from `directory` if given, else from the files shipped with the service.
    Every branch must have a file."""
    versions: list[BranchRules] = []
    for branch in Tenant:
        name = f"{branch.value}.toml"
        if directory is not None:
            path = directory / name
            if not path.is_file():
                raise RulesFileError(f"{path}: no rules file for the {branch.value} branch")
            text = path.read_text(encoding="utf-8")
        else:
            text = resources.files("services.intake").joinpath("rules", name).read_text(encoding="utf-8")
        versions.extend(parse_branch_file(text, branch, name))
    return RuleBook(tuple(versions))
