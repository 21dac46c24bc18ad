"""Field types of intake's request bodies, each failing with a rule name a client can act on."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from shared.events.catalog import LanguageCode
from shared.nace import NACE_SECTIONS
from shared.tenancy import OFFICES

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,24}$")


def personal(**kwargs: Any) -> Any:
    """A field holding personal data: kept only in intake's personal-data table, found by erasure."""
    return Field(json_schema_extra={"personal": True}, **kwargs)


def _known_office(office: str) -> str:
    if office not in OFFICES:
        raise PydanticCustomError("known_office", "unknown office {office}; known offices: {known}",
                                  {"office": office, "known": ", ".join(sorted(OFFICES))})
    return office


def _nace_section(code: str) -> str:
    if code not in NACE_SECTIONS:
        raise PydanticCustomError("nace_section", "unknown NACE Rev. 2 section {code}; use a letter from A to U",
                                  {"code": code})
    return code


def _not_in_future(day: date) -> date:
    if day > datetime.now(UTC).date():
        raise PydanticCustomError("not_in_future", "must not be in the future")
    if day.year < 1900:
        raise PydanticCustomError("plausible_date", "must be 1900 or later")
    return day


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise PydanticCustomError("email_format", "must be an e-mail address such as name@example.org")
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise PydanticCustomError("phone_format", "must be a phone number of digits, optionally starting with +")
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Office = Annotated[str, AfterValidator(_known_office), Field(examples=["be-antwerpen"], json_schema_extra={"enum": sorted(OFFICES)})]
NaceCode = Annotated[str, AfterValidator(_nace_section), Field(examples=["Q"], json_schema_extra={"enum": list(NACE_SECTIONS)})]
PastDate = Annotated[date, AfterValidator(_not_in_future)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["MA"])]
Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=20), AfterValidator(_distinct)]
