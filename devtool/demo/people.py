"""Realistic, seeded attributes of mentees and mentors, as a coordinator would enter them. No real person."""

from __future__ import annotations

import random
from datetime import date

from shared.tenancy import OFFICES

SECTORS = ("Q", "G", "I", "C", "H", "N", "P", "M", "J", "F", "S", "K")
SECTOR_WEIGHTS = (18, 14, 12, 9, 9, 9, 7, 6, 6, 5, 3, 2)
HOME_LANGUAGES = ("ar", "tr", "ps", "ti", "so", "fa", "uk", "es", "pt", "ru")
NATIONALITIES = ("MA", "SY", "AF", "ER", "CD", "TR", "GN", "SO", "IR", "CM", "UA", "IQ", "PS", "SN")
DAY_PARTS = tuple(
    f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat") for p in ("morning", "afternoon", "evening")
)
FIRST = ("Amina", "Youssef", "Fatima", "Omar", "Sara", "Ali", "Leila", "Hamid", "Nour", "Samir", "Mariam", "Idris")
LAST = ("El Amrani", "Haddad", "Yilmaz", "Tesfaye", "Mansour", "Nazari", "Diallo", "Kone", "Rahimi", "Osman")
MENTOR_FIRST = ("Marc", "Anne", "Luc", "Martine", "Jan", "Greet", "Paul", "Christine", "Dirk", "Isabelle")
# Each branch's mentees as drawn: ages and programme languages within its intake rules (services/intake/rules/
# <branch>.toml: BE 18 to 33, NL 18 to 35, FR 18 to 30; tests/unit/test_demo_regions.py holds them within).
MENTEE_AGES = {"BE": (19, 32), "NL": (19, 32), "FR": (19, 29)}
PROGRAMME_LANGUAGES = {"BE": ("fr", "nl", "en"), "NL": ("nl", "en"), "FR": ("fr", "en")}
MENTOR_LAST = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "Dubois")


def _birth(rng: random.Random, today: date, youngest: int, oldest: int) -> str:
    age = rng.randint(youngest, oldest)
    return date(today.year - age - 1, rng.randint(1, 12), rng.randint(1, 28)).isoformat()


def _mobile(rng: random.Random, branch: str) -> str:
    """A mobile number in the branch's country's own form. Belgium's is drawn exactly as it always was, so the
    memorandum's seeded demo does not move."""
    if branch == "NL":
        return f"+31 6 {rng.randint(10, 99)}{rng.randint(10, 99)}{rng.randint(10, 99)}{rng.randint(10, 99)}"
    if branch == "FR":
        return f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def mentee(rng: random.Random, office: str, today: date, serial: int) -> dict:
    """An eligible mentee application at the office, under its branch's rules."""
    branch = OFFICES[office][0].value
    programme = rng.sample(PROGRAMME_LANGUAGES[branch], k=rng.choice((1, 2)))
    return {
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "email": f"mentee{serial}.{rng.getrandbits(32):08x}@demo.example",
        "phone": _mobile(rng, branch),
        "birth_date": _birth(rng, today, *MENTEE_AGES[branch]),
        "nationality": rng.choice(NATIONALITIES),
        "parent_or_grandparent_born_outside_eu": True,
        "residence_permit": rng.choice(("long_term", "international_protection")),
        "languages": [*programme, rng.choice(HOME_LANGUAGES)],
        "office": office,
        "job_target": {"sector": rng.choices(SECTORS, SECTOR_WEIGHTS)[0], "occupation": "as discussed at intake"},
        "availability": {"hours_per_week": rng.choice((2, 3, 4)), "day_parts": rng.sample(DAY_PARTS, k=3)},
        "consent": {"data_processing": True, "voluntary_participation": True},
    }


def mentor(rng: random.Random, office: str, today: date, serial: int) -> dict:
    """An eligible mentor registration, one duo at a time (sometimes two)."""
    sectors = rng.sample(SECTORS[:10], k=rng.choice((1, 2)))
    return {
        "first_name": rng.choice(MENTOR_FIRST),
        "last_name": rng.choice(MENTOR_LAST),
        "email": f"mentor{serial}.{rng.getrandbits(32):08x}@demo.example",
        "phone": None,
        "birth_date": _birth(rng, today, 52, 74),
        "experience": [{"sector": s, "years": rng.randint(5, 38)} for s in sectors],
        "languages": ["nl", "fr", "en"],
        "office": office,
        "availability": {"hours_per_week": 3, "day_parts": rng.sample(DAY_PARTS, k=5)},
        "capacity": 2 if rng.random() < 0.1 else 1,
        "consent": {"data_processing": True, "voluntary_participation": True},
    }
