"""Intake's 4xx answers: each names the field and the rule it broke."""

from __future__ import annotations

from fastapi import HTTPException


def bad_field(field: str, rule: str, message: str, status: int = 422) -> HTTPException:
    """An error answer naming the field and the rule."""
    return HTTPException(status_code=status, detail={"field": field, "rule": rule, "message": message})
