"""NACE Rev. 2 sections (A to U): the EU taxonomy of economic activity, used for job targets and mentor experience."""

from __future__ import annotations

from typing import Literal

NaceSection = Literal[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U"
]

# Titles as published by Eurostat (NACE Rev. 2, 2008).
NACE_SECTIONS: dict[str, str] = {
    "A": "Agriculture, forestry and fishing",
    "B": "Mining and quarrying",
    "C": "Manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply; sewerage, waste management and remediation activities",
    "F": "Construction",
    "G": "Wholesale and retail trade; repair of motor vehicles and motorcycles",
    "H": "Transportation and storage",
    "I": "Accommodation and food service activities",
    "J": "Information and communication",
    "K": "Financial and insurance activities",
    "L": "Real estate activities",
    "M": "Professional, scientific and technical activities",
    "N": "Administrative and support service activities",
    "O": "Public administration and defence; compulsory social security",
    "P": "Education",
    "Q": "Human health and social work activities",
    "R": "Arts, entertainment and recreation",
    "S": "Other service activities",
    "T": "Activities of households as employers; undifferentiated goods- and services-producing activities "
    "of households for own use",
    "U": "Activities of extraterritorial organisations and bodies",
}


def is_nace_section(code: str) -> bool:
    """True for a NACE Rev. 2 section letter (upper case, A to U)."""
    return code in NACE_SECTIONS


def section_title(code: str) -> str:
    """The title of a NACE Rev. 2 section; raises KeyError for an unknown one."""
    return NACE_SECTIONS[code]
