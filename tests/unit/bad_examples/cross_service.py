"""BAD EXAMPLE, parsed by test_boundaries.py and never imported: matching reaching into intake's code."""

from __future__ import annotations

from services.intake.domain.state import MenteeState
from services.matching import app  # its own service: fine

from ..intake.domain import decisions  # relative, still another service


def match(state: MenteeState) -> object:
    return decisions, app
