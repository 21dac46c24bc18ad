"""Example bodies for the OpenAPI document, the guide (docs/intake-api.md) and the tests."""

from __future__ import annotations

from typing import Any

MENTEE_EXAMPLE: dict[str, Any] = {
    "first_name": "Amina",
    "last_name": "El Idrissi",
    "email": "amina.elidrissi@example.org",
    "phone": "+32 470 12 34 56",
    "birth_date": "1999-04-12",
    "nationalities": ["MA"],
    "parent_or_grandparent_born_outside_eu": False,
    "residence_permit": "long_term",
    "languages": ["fr", "ar", "en"],
    "office": "be-antwerpen",
    "job_target": {"sector": "Q", "occupation": "nursing assistant"},
    "availability": {"hours_per_week": 3, "day_parts": ["tue-evening", "sat-morning"]},
    "consent": {"data_processing": True, "voluntary_participation": True},
}

MENTOR_EXAMPLE: dict[str, Any] = {
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

# The request bodies' examples in the OpenAPI document, one per kind of answer they get.
MENTEE_BODY_EXAMPLES = {
    "eligible": {"summary": "eligible: 201, MenteeRegistered", "value": MENTEE_EXAMPLE},
    "ineligible": {
        "summary": "too old, EU national, temporary permit, no programme language: 422 listing each rule",
        "value": MENTEE_EXAMPLE
        | {"birth_date": "1980-01-01", "nationalities": ["DE"], "residence_permit": "temporary", "languages": ["de"]},
    },
    "several nationalities": {
        "summary": "Belgian and Moroccan: the Moroccan nationality is a non-EU background",
        "value": MENTEE_EXAMPLE | {"nationalities": ["BE", "MA"], "residence_permit": "citizen"},
    },
    "stateless": {
        "summary": "stateless, with international protection",
        "value": {k: v for k, v in MENTEE_EXAMPLE.items() if k != "nationalities"}
        | {"stateless": True, "residence_permit": "international_protection"},
    },
    "old single nationality": {
        "summary": "the older single `nationality` field is still accepted (as a list of one)",
        "value": {k: v for k, v in MENTEE_EXAMPLE.items() if k != "nationalities"} | {"nationality": "MA"},
    },
    "duplicate": {
        "summary": "an e-mail already registered in the branch (any case or Unicode form): 409",
        "value": MENTEE_EXAMPLE | {"email": "Amina.ElIdrissi@EXAMPLE.org"},
    },
}
MENTOR_BODY_EXAMPLES = {
    "eligible": {"summary": "eligible: 201, MentorRegistered (in training)", "value": MENTOR_EXAMPLE},
    "ineligible": {
        "summary": "under 50, no year of experience: 422 listing each rule",
        "value": MENTOR_EXAMPLE | {"birth_date": "1990-01-01", "experience": [{"sector": "Q", "years": 0}]},
    },
    "duplicate": {
        "summary": "an e-mail already registered in the branch: 409",
        "value": MENTOR_EXAMPLE | {"email": "MARC.PEETERS@example.org"},
    },
}
MENTEE_CHANGE_EXAMPLES = {
    "availability": {
        "summary": "more hours, another evening",
        "value": {"availability": {"hours_per_week": 4, "day_parts": ["wed-evening"]}},
    },
    "job target": {"summary": "a new job target", "value": {"job_target": {"sector": "I", "occupation": "cook"}}},
    "refused": {"summary": "no programme language left: 422", "value": {"languages": ["ar"]}},
}
MENTOR_CHANGE_EXAMPLES = {
    "capacity": {"summary": "two duos at a time", "value": {"capacity": 2}},
    "experience": {"summary": "experience in another sector", "value": {"experience": [{"sector": "F", "years": 12}]}},
    "refused": {"summary": "null is not a change: 422", "value": {"languages": None}},
}
TARGET_GROUP_EXAMPLES = {
    "consented": {
        "summary": "NEET, without a job for 6 to 12 months, with the mentee's consent",
        "value": {
            "consent": True,
            "neet": True,
            "long_term_unemployed": False,
            "time_since_last_job": "6_to_12_months",
        },
    },
    "no consent": {
        "summary": "no consent: nothing recorded (422 naming consent)",
        "value": {"consent": False, "neet": True, "long_term_unemployed": False, "time_since_last_job": "never_worked"},
    },
}
MENTOR_EMPLOYMENT_EXAMPLES = {
    "released": {
        "summary": "still working, released by the employer (the name kept as personal data)",
        "value": {"status": "employed", "employer_released": True, "employer": "Stad Antwerpen"},
    },
    "retired": {"summary": "retired", "value": {"status": "retired"}},
    "refused": {
        "summary": "only an employed mentor is released by an employer: 422",
        "value": {"status": "retired", "employer_released": True},
    },
}
WITHDRAWAL_EXAMPLES = {
    "found work": {
        "summary": "the mentee found a job before any duo: MenteeOutcomeBeforeDuo, then MenteeWithdrawn",
        "value": {
            "reason": "found_work",
            "job": {
                "sector": "Q",
                "contract_type": "fixed_term",
                "contract_months": 6,
                "hours_per_week": 30,
                "started_on": "2026-11-20",
            },
        },
    },
    "started training": {
        "summary": "the mentee started a qualifying training",
        "value": {"reason": "started_training", "training": {"started_on": "2026-11-20", "qualifying": True}},
    },
    "moved away": {"summary": "no outcome to record", "value": {"reason": "moved_away"}},
}
TRAINING_MODULE_EXAMPLES = {
    "today": {"summary": "completed today (the branch's date)", "value": {"module": "active_listening"}},
    "dated": {
        "summary": "completed on a past day, after registration",
        "value": {"module": "code_of_conduct", "completed_on": "2026-11-20"},
    },
}
TRAINING_MODULES_EXAMPLES = {
    "a training day": {
        "summary": "the modules of a training day, on a past day after registration",
        "value": {
            "modules": [
                {"module": "active_listening", "completed_on": "2026-11-20"},
                {"module": "code_of_conduct", "completed_on": "2026-11-20"},
            ]
        },
    },
}
ERASURE_EXAMPLES = {
    "request": {"summary": "the person asked to be forgotten", "value": {"reason": "data_subject_request"}},
}
INFORMATION_SESSION_EXAMPLES = {
    "dated": {"summary": "attended on a day after registration", "value": {"attended_on": "2026-11-27"}},
}
INTAKE_INTERVIEW_EXAMPLES = {
    "suitable": {
        "summary": "suitable: ready once the session is attended",
        "value": {"held_on": "2026-11-28", "outcome": "suitable"},
    },
    "not now": {
        "summary": "not now, with a coded reason (another interview may follow)",
        "value": {"held_on": "2026-11-28", "outcome": "not_now", "reason": "language_level"},
    },
}
REJOIN_EXAMPLES = {"rejoin": {"summary": "no body, or an empty object", "value": {}}}
