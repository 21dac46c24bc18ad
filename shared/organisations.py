"""An organisation's name as the services keep it (a partner in tracking, a mentor's employer in intake). Pure."""

from __future__ import annotations

import unicodedata

from shared.commanding.errors import InvalidField

MAX_NAME_LENGTH = 200


def name_key(name: str) -> str:
    """The form two spellings of one name share (NFKC, case-folded, inner spaces collapsed)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def check_name(field: str, name: str) -> str:
    """A name of 1 to 200 characters, printable, without surrounding spaces; refused naming `field`."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidField(field, "name_required", "name the organisation")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidField(field, "name_length", f"at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise InvalidField(field, "printable_name", "must not hold control or invisible format characters")
    return cleaned
