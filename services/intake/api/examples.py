"""Example bodies for the OpenAPI document, the guide (docs/intake-api.md) and the tests."""

from __future__ import annotations

MENTEE_EXAMPLE = {
    "first_name": "Amina",
    "last_name": "El Idrissi",
    "email": "amina.elidrissi@example.org",
    "phone": "+32 470 12 34 56",
    "birth_date": "1999-04-12",
    "nationality": "MA",
    "parent_or_grandparent_born_outside_eu": False,
    "residence_permit": "long_term",
    "languages": ["fr", "ar", "en"],
    "office": "be-antwerpen",
    "job_target": {"sector": "Q", "occupation": "nursing assistant"},
    "availability": {"hours_per_week": 3, "day_parts": ["tue-evening", "sat-morning"]},
    "consent": {"data_processing": True, "voluntary_participation": True},
}

MENTOR_EXAMPLE = {
    "first_name": "Marc",
    "last_name": "Peeters",
    "email": "marc.peeters@example.org",
    "phone": "+32 475 98 76 54",
    "birth_date": "1958-09-30",
    "experience": [{"sector": "Q", "years": 30}, {"sector": "P", "years": 5}],
    "languages": ["nl", "fr", "en"],
    "office": "be-antwerpen",
    "availability": {"hours_per_week": 3, "day_parts": ["tue-evening"]},
    "capacity": 1,
    "consent": {"data_processing": True, "voluntary_participation": True},
}
