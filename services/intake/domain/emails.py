"""The form an e-mail address is compared in, so one person cannot register twice under two spellings."""

from __future__ import annotations

import unicodedata


def normalize_email(email: str) -> str:
    """Local part NFKC + casefold; domain IDNA (punycode) + lower. Raises ValueError if the domain is not IDNA.

    NFKC folds what looks the same but is encoded differently (a decomposed "é",
    fullwidth letters); the domain goes to its punycode form so "münchen.de" and
    "xn--mnchen-3ya.de" are one domain. Folding the local part's case is looser than
    RFC 5321, but no provider hands out addresses that differ only in case, and a
    false duplicate is a 409 a coordinator can see while a missed one is a person twice.
    """
    local, _, domain = unicodedata.normalize("NFKC", email.strip()).rpartition("@")
    try:
        # The standard library's codec (IDNA 2003 nameprep) needs no dependency; it maps
        # "ß" to "ss", erring towards a duplicate rather than a second registration.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as err:
        raise ValueError(f"domain {domain!r} is not a valid internationalised domain name") from err
    return f"{local.casefold()}@{ascii_domain.lower()}"
