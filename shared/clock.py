"""The one reading of the real time; everything else takes a clock so tests can set it.

A demo's simulated calendar is made by the development tool (devtool/simulated_clock.py) and
passed in like any other clock: nothing here or in the services reads the environment for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
