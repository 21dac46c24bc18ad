"""The form an e-mail address is compared in, so one person cannot register twice under two spellings."""

from __future__ import annotations

import re
import unicodedata

import idna

# Categories that print nothing a person can see or type on purpose: control (Cc), format (Cf:
# soft hyphen, zero-width joiner and space, direction overrides, tag characters), surrogate
# (Cs), private use (Co), unassigned (Cn), and the line and paragraph separators (Zl, Zp).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt) outside those categories:
# characters a renderer draws as nothing although they count as letters or marks, such as the
# Hangul fillers (Lo), the combining grapheme joiner and the variation selectors (Mn).
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER, HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS (and vowel separator)
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS 1-16
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xE0100, 0xE01EF),  # VARIATION SELECTORS 17-256
)


_FIRST_IGNORABLE = min(low for low, _ in _IGNORABLE_RANGES)
# In ASCII only the control characters (Cc: U+0000 to U+001F and U+007F) are invisible: every other ASCII
# character is a letter, digit, mark of punctuation, symbol or the space, and the ignorable ranges lie above it.
# Nearly every field is ASCII, so a text is first looked at whole (two scans in C) before character by character
# (tests/unit/test_intake_emails.py holds this to `is_invisible` for every ASCII character).
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")


def is_invisible(char: str) -> bool:
    """Whether one character shows nothing: of an invisible category, or default-ignorable in Unicode."""
    if unicodedata.category(char) in INVISIBLE_CATEGORIES:
        return True
    point = ord(char)
    return point >= _FIRST_IGNORABLE and any(low <= point <= high for low, high in _IGNORABLE_RANGES)


def invisible_in(text: str) -> list[str]:
    """The invisible characters of `text` (see `is_invisible`), in order, repeats included."""
    if text.isascii():
        return _ASCII_CONTROL.findall(text)
    return [char for char in text if is_invisible(char)]


def without_invisible(text: str) -> str:
    """The text with every invisible character (see `is_invisible`) removed."""
    if text.isascii():
        return _ASCII_CONTROL.sub("", text)
    return "".join(char for char in text if not is_invisible(char))


def normalize_email(email: str) -> str:
    """Invisible characters removed; local part NFKC + casefold; domain IDNA (punycode) + lower.

    Raises ValueError if no local part or domain is left, or the domain is not IDNA.

    Invisible characters (soft hyphen, zero-width joiner and space, direction overrides, tag
    characters, variation selectors, Hangul fillers: `is_invisible`) are removed first, so
    "a\\u00adb@example.org" and "ab@example.org" are one mailbox: the request fields refuse them,
    and this keeps an address stored before they did from making one mailbox two people.
    NFKC folds what looks the same but is encoded differently (a decomposed "é",
    fullwidth letters); the domain goes to its IDNA 2008 punycode form so "münchen.de" and
    "xn--mnchen-3ya.de" are one domain. Folding the local part's case is looser than
    RFC 5321, but no provider hands out addresses that differ only in case, and a
    false duplicate is a 409 a coordinator can see while a missed one is a person twice.

    Syntax is checked where the address enters (the request field, with the email-validator
    library); this module needs only the pure `idna` library, and only decides
    which spellings are one address.
    """
    text = email.strip()
    while True:  # removing a character can let NFKC compose anew, and NFKC can map to a filler
        folded = unicodedata.normalize("NFKC", without_invisible(text)).strip()
        if folded == text:
            break
        text = folded
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{email!r} is not an e-mail address: it needs a part before and after one @")
    try:
        # IDNA 2008 with the UTS 46 mapping (lower case, width), as browsers and mail servers resolve names
        # today: "straße.de" is its own domain (xn--strae-oqa.de), not "strasse.de" as the standard library's
        # IDNA 2003 codec would have it, and a name IDNA 2008 disallows is refused.
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (UnicodeError, idna.IDNAError) as err:
        raise ValueError(f"domain {domain!r} is not a valid internationalised domain name") from err
    return f"{local.casefold()}@{ascii_domain.lower()}"
