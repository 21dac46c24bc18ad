"""The one reading of the real time; everything else takes a clock so tests can set it.

A demo's simulated calendar is in shared/simulated_clock.py (kept apart: it reads files and
the environment, and this module is imported by pure code).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
