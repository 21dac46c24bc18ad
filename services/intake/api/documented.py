"""The answers each route documents in OpenAPI, every one with an example body."""

from __future__ import annotations

from typing import Any

from shared.commanding.http import ErrorBody

_ID = "6f1c3a52-7d4e-4b8a-9c1e-2f5d8a9b0c17"
_AVAILABILITY = {"hours_per_week": 3.0, "day_parts": ["tue-evening", "sat-morning"]}
MENTEE_VIEW = {
    "mentee_id": _ID,
    "version": 1,
    "status": "registered",
    "ready_for_matching": False,
    "tenant": "BE",
    "office": "be-antwerpen",
    "job_target_sector": "Q",
    "languages": ["fr", "ar", "en"],
    "availability": _AVAILABILITY,
    "age_band": "25-29",
    "consents": ["data_processing", "voluntary_participation"],
    "registered_at": "2026-11-26T09:30:00Z",
    "withdrawal_reason": None,
    "rules_version": "2024.1",
    "information_session_on": None,
    "interview_on": None,
    "interview_outcome": None,
    "interview_reason": None,
}
MENTOR_VIEW = {
    "mentor_id": _ID,
    "version": 1,
    "status": "in_training",
    "ready_for_matching": False,
    "tenant": "BE",
    "office": "be-antwerpen",
    "experience": [{"sector": "Q", "years": 30}],
    "languages": ["nl", "fr", "en"],
    "availability": {"hours_per_week": 3.0, "day_parts": ["tue-evening"]},
    "capacity": 1,
    "age_band": "65-69",
    "consents": ["data_processing", "voluntary_participation"],
    "training_modules_completed": [],
    "training_modules_remaining": ["intercultural_communication", "..."],
    "training_completed": False,
    "registered_at": "2026-11-26T09:30:00Z",
    "withdrawal_reason": None,
    "rules_version": "2024.1",
}
PERSONAL = {
    "first_name": "Amina",
    "last_name": "El Idrissi",
    "email": "amina.elidrissi@example.org",
    "phone": "+32 470 12 34 56",
    "birth_date": "1999-04-12",
    "nationalities": ["MA"],
    "stateless": False,
    "parent_or_grandparent_born_outside_eu": False,
    "residence_permit": "long_term",
    "job_target_occupation": "nursing assistant",
}
PAGE = {
    "items": [
        {
            "person_id": _ID,
            "kind": "mentee",
            "first_name": "Amina",
            "last_name": "El Idrissi",
            "office": "be-antwerpen",
            "status": "registered",
            "ready_for_matching": True,
            "sectors": ["Q"],
            "languages": ["fr", "ar", "en"],
            "weekly_availability_hours": 2.5,
            "available_day_parts": ["tue-evening"],
            "capacity": None,
            "age_band": "25-29",
            "version": 1,
            "registered_at": "2026-11-26T09:30:00Z",
        }
    ],
    "total": 41,
    "limit": 20,
    "offset": 0,
    "next_offset": 20,
}


def _error(detail: str, field: str, rule: str, message: str, **ids: Any) -> dict[str, Any]:
    return {"detail": detail, "errors": [{"field": field, "rule": rule, "message": message}], **ids}


NOT_FOUND = {
    "not found": {
        "summary": "no such person in the caller's branch",
        "value": _error(
            "no mentee with this id in this country branch",
            "mentee_id",
            "known_id",
            "no mentee with this id in this country branch",
        ),
    }
}
CONFLICTS = {
    "duplicate": {
        "summary": "the e-mail is registered in the branch",
        "value": _error(
            "this e-mail address is already registered in this country branch, for a mentee",
            "email",
            "unique_email",
            "this e-mail address is already registered in this country branch, for a mentee",
            existing_id=_ID,
            existing_kind="mentee",
            existing_status="registered",
        ),
    },
    "stale version": {
        "summary": "If-Match names a version that is no longer the current one",
        "value": _error(
            "concurrent change: If-Match names version 1, the current version is 2; reload and retry",
            "If-Match",
            "current_version",
            "the current version is 2",
            stream_id=f"mentee-{_ID}",
            current_version=2,
        ),
    },
    "withdrawn": {
        "summary": "the person has withdrawn",
        "value": _error(
            "this mentee has withdrawn from the programme",
            "status",
            "not_withdrawn",
            "this mentee has withdrawn from the programme",
        ),
    },
}
INVALID = {
    "invalid": {
        "summary": "a field breaks a rule",
        "value": _error(
            "invalid request: office: office fr-paris is not an office of the BE branch",
            "office",
            "office_of_branch",
            "office fr-paris is not an office of the BE branch",
        ),
    },
    "not eligible": {
        "summary": "an application failing eligibility, recorded under application_id",
        "value": _error(
            "not eligible: must be at most 33 years old",
            "birth_date",
            "max_age",
            "must be at most 33 years old",
            application_id=_ID,
        ),
    },
}
_ERRORS = {
    404: ("no such person in the caller's branch", NOT_FOUND),
    409: ("duplicate e-mail (with existing_id, kind and status), withdrawn person, or If-Match not current", CONFLICTS),
    422: ("invalid input or headers, or not eligible: every broken rule is listed with its field", INVALID),
}


def documented(ok: int, description: str, examples: dict[str, Any], *errors: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: its success and the errors it can answer, each with examples."""
    answers: dict[int | str, dict[str, Any]] = {
        ok: {"description": description, "content": {"application/json": {"examples": examples}}}
    }
    for code in errors:
        text, error_examples = _ERRORS[code]
        answers[code] = {
            "model": ErrorBody,
            "description": text,
            "content": {"application/json": {"examples": error_examples}},
        }
    return answers


def one(summary: str, value: dict[str, Any]) -> dict[str, Any]:
    """A single named example."""
    return {"example": {"summary": summary, "value": value}}
