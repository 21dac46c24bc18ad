"""Field types of intake's request bodies, each failing with a rule name a client can act on."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from services.intake.domain.countries import country_problem
from services.intake.domain.emails import normalize_email
from shared.events.catalog import LanguageCode
from shared.nace import NACE_SECTIONS
from shared.tenancy import OFFICES

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,24}$")


def personal(**kwargs: Any) -> Any:
    """A field holding personal data: kept only in intake's personal-data table, found by erasure."""
    return Field(json_schema_extra={"personal": True}, **kwargs)


def _no_control_characters(text: str) -> str:
    # PostgreSQL refuses \u0000 in JSONB (a 500 rather than an answer), and a tab, newline or
    # escape in a name breaks every list, export and letter it is printed in.
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise PydanticCustomError(
            "no_control_characters", "must not contain control characters (such as NUL, tab or newline)"
        )
    return text


def _known_office(office: str) -> str:
    if office not in OFFICES:
        raise PydanticCustomError(
            "known_office",
            "unknown office {office}; known offices: {known}",
            {"office": office, "known": ", ".join(sorted(OFFICES))},
        )
    return office


def _nace_section(code: str) -> str:
    if code not in NACE_SECTIONS:
        raise PydanticCustomError(
            "nace_section", "unknown NACE Rev. 2 section {code}; use a letter from A to U", {"code": code}
        )
    return code


def _plausible(day: date) -> date:
    # "Not in the future" is checked by the decision, on the branch's own today (guards.py).
    if day.year < 1900:
        raise PydanticCustomError("plausible_date", "must be 1900 or later")
    return day


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise PydanticCustomError("email_format", "must be an e-mail address such as name@example.org")
    try:
        normalize_email(value)  # duplicates are found on this form: it must exist
    except ValueError as err:
        raise PydanticCustomError(
            "email_format", "must be an e-mail address with a valid domain: {reason}", {"reason": str(err)}
        ) from None
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise PydanticCustomError("phone_format", "must be a phone number of digits, optionally starting with +")
    return value


def _iso_country(code: str) -> str:
    if problem := country_problem(code):
        raise PydanticCustomError("iso_country", "{problem}", {"problem": problem})
    return code


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


NoControl = AfterValidator(_no_control_characters)
Office = Annotated[
    str, AfterValidator(_known_office), Field(examples=["be-antwerpen"], json_schema_extra={"enum": sorted(OFFICES)})
]
NaceCode = Annotated[
    str, AfterValidator(_nace_section), Field(examples=["Q"], json_schema_extra={"enum": list(NACE_SECTIONS)})
]
PlausibleDate = Annotated[date, AfterValidator(_plausible)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), NoControl, AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True), NoControl, AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoControl]
Occupation = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoControl]
CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 (GR, not EL; GB, not UK)", examples=["MA"]),
    AfterValidator(_iso_country),
]
Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=20), AfterValidator(_distinct)]
