"""The branches' choices of definitions, read from their files (services/reporting/definitions/<BRANCH>.toml) and
validated: an unknown definition, a branch file of another branch or versions out of order stop the service.

This is the edge: it reads the files and hands the domain a pure DefinitionChoices (domain/definitions.py).
"""

from __future__ import annotations

import functools
import tomllib
from datetime import date
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.reporting.domain.definitions import (
    MENTOR_RETENTIONS,
    POSITIVE_EXITS,
    SUSTAINABLE_WORK,
    BranchChoice,
    Chosen,
    DefinitionChoices,
)
from shared.tenancy import Tenant


class DefinitionsFileError(ValueError):
    """A definitions file is missing, not TOML, or names what does not exist: reporting must not start with it."""


def _known(key: str, known: dict, figure: str) -> str:
    if key not in known:
        raise ValueError(f"unknown {figure} definition {key!r}; one of {', '.join(sorted(known))}")
    return key


class Version(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    valid_from: date
    note: str = ""
    positive_exit: str
    sustainable_work: str
    mentor_retention: str

    @field_validator("positive_exit")
    @classmethod
    def _positive(cls, key: str) -> str:
        return _known(key, POSITIVE_EXITS, "positive exit")

    @field_validator("sustainable_work")
    @classmethod
    def _work(cls, key: str) -> str:
        return _known(key, SUSTAINABLE_WORK, "sustainable work")

    @field_validator("mentor_retention")
    @classmethod
    def _retention(cls, key: str) -> str:
        return _known(key, MENTOR_RETENTIONS, "mentor retention")


class BranchFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: Tenant
    versions: list[Version] = Field(min_length=1)


def parse_definitions_file(text: str, expected: Tenant, name: str = "definitions") -> tuple[BranchChoice, ...]:
    """A branch's choices from its file's text; every problem named by its field."""
    try:
        parsed = BranchFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise DefinitionsFileError(f"{name}: not valid TOML: {err}") from None
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise DefinitionsFileError(f"{name}: {problems}") from None
    if parsed.branch != expected:
        raise DefinitionsFileError(f"{name}: branch: the file of {expected.value} holds {parsed.branch.value}")
    days = [v.valid_from for v in parsed.versions]
    if days != sorted(set(days)) or len({v.version for v in parsed.versions}) != len(days):
        raise DefinitionsFileError(f"{name}: versions: distinct names and strictly increasing valid_from dates")
    return tuple(
        BranchChoice(
            expected.value,
            v.version,
            v.valid_from,
            Chosen(v.positive_exit, v.sustainable_work, v.mentor_retention),
            v.note,
        )
        for v in parsed.versions
    )


@functools.cache
def definition_choices() -> DefinitionChoices:
    """Every branch's choices, from the files shipped with reporting (read once)."""
    versions: list[BranchChoice] = []
    for branch in Tenant:
        name = f"{branch.value}.toml"
        try:
            text = resources.files("services.reporting").joinpath("definitions", name).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DefinitionsFileError(f"definitions/{name}: missing") from None
        versions += parse_definitions_file(text, branch, f"definitions/{name}")
    return DefinitionChoices(tuple(versions))
