"""Intake's HTTP API: thin routes that turn requests into commands, documented by OpenAPI."""

from fastapi import APIRouter

from services.intake.api import access, erasure, mentees, mentors, rules, target_groups

router = APIRouter()
router.include_router(mentees.router)
router.include_router(target_groups.router)
router.include_router(mentors.router)
router.include_router(access.router)
router.include_router(erasure.router)
router.include_router(rules.router)

__all__ = ["router"]
