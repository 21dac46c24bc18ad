"""Field types of intake's request bodies, each failing with a rule name a client can act on."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from services.intake.domain.countries import country_problem
from services.intake.domain.emails import invisible_in, normalize_email
from shared.events.catalog import LanguageCode
from shared.nace import NACE_SECTIONS
from shared.tenancy import OFFICES

# A calendar day as JSON carries it: a string of exactly YYYY-MM-DD (ASCII digits; not 20000101, a week
# date or a datetime, which date.fromisoformat and pydantic's lax mode would otherwise accept).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,24}$")


def personal(**kwargs: Any) -> Any:
    """A field holding personal data: kept only in intake's personal-data table, found by erasure."""
    return Field(json_schema_extra={"personal": True}, **kwargs)


def _no_control_characters(text: str) -> str:
    # PostgreSQL refuses \u0000 in JSONB (a 500 rather than an answer), and a tab, newline or
    # escape in a name breaks every list, export and letter it is printed in.
    # In ASCII the control characters are exactly its invisible ones (services/intake/domain/emails.py).
    control = invisible_in(text) if text.isascii() else any(unicodedata.category(char) == "Cc" for char in text)
    if control:
        raise PydanticCustomError(
            "no_control_characters", "must not contain control characters (such as NUL, tab or newline)"
        )
    return text


def _described(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def _no_invisible_characters(text: str) -> str:
    # Zero-width characters, soft hyphens, direction overrides (U+202E shows "Amina" reversed), tag
    # characters, private-use and unassigned code points: text that looks like one value but is
    # another, or like nothing at all. Runs after _no_control_characters, which names control characters.
    found = list(dict.fromkeys(invisible_in(text)))
    if found:
        raise PydanticCustomError(
            "no_invisible_characters",
            "must not contain invisible or formatting characters (zero-width, soft hyphen, direction override,"
            " tag, private-use or unassigned characters); found {found}: retype the value",
            {"found": ", ".join(_described(char) for char in found[:3])},
        )
    return text


def _no_markup(text: str) -> str:
    if "<" in text or ">" in text:
        raise PydanticCustomError("no_markup", "must not contain < or >: markup has no place in a name")
    return text


def _needs_a_letter(text: str) -> str:
    if not any(unicodedata.category(char).startswith("L") for char in text):
        raise PydanticCustomError("needs_a_letter", "must contain at least one letter")
    return text


def _iso_date(value: object) -> date:
    # Before pydantic's own date parsing, which in the Python mode FastAPI validates bodies in
    # would take 20000101 (a Unix timestamp), "20000101" or "2000-01-01T00:00:00" for a date.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("iso_date", "must be a date as a string YYYY-MM-DD, such as 1999-04-12")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "iso_date", "{value} is not a day of the calendar; give a date as YYYY-MM-DD", {"value": value}
        ) from None


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
    # Syntax and domain by the email-validator library (IDNA 2008, hyphens, dots, lengths; strict: the
    # local part at most 64 characters), without DNS: whether the mailbox exists is not ours to ask.
    try:
        validate_email(value, check_deliverability=False, strict=True)
    except EmailNotValidError as err:
        raise PydanticCustomError(
            "email_format", "must be an e-mail address such as name@example.org: {reason}", {"reason": str(err)}
        ) from None
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
NoInvisible = AfterValidator(_no_invisible_characters)
NoMarkup = AfterValidator(_no_markup)
NeedsALetter = AfterValidator(_needs_a_letter)
Office = Annotated[
    str, AfterValidator(_known_office), Field(examples=["be-antwerpen"], json_schema_extra={"enum": sorted(OFFICES)})
]
NaceCode = Annotated[
    str, AfterValidator(_nace_section), Field(examples=["Q"], json_schema_extra={"enum": list(NACE_SECTIONS)})
]
# Each validator runs only if the ones before it passed, so a value fails with its first broken rule.
PlausibleDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_plausible)]
Email = Annotated[str, StringConstraints(strip_whitespace=True), NoControl, NoInvisible, AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True), NoControl, NoInvisible, AfterValidator(_phone)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    NoControl,
    NoInvisible,
    NoMarkup,
    NeedsALetter,
]
Occupation = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoControl, NoInvisible, NeedsALetter
]
CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 (GR, not EL; GB, not UK)", examples=["MA"]),
    AfterValidator(_iso_country),
]
Languages = Annotated[list[LanguageCode], Field(min_length=1, max_length=20), AfterValidator(_distinct)]
