"""The simulated calendar of a demo is read only by a process started for one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.clock import utc_now
from shared.simulated_clock import clock_from_environment, file_clock


def test_without_the_variable_the_clock_is_the_real_one():
    assert clock_from_environment({}) is utc_now


def test_the_simulated_clock_follows_the_file(tmp_path):
    path = tmp_path / "clock"
    path.write_text("2025-03-01T09:00:00+00:00")
    clock = clock_from_environment({"DUO_SIMULATED_CLOCK_FILE": str(path)})
    assert clock() == datetime(2025, 3, 1, 9, tzinfo=UTC)
    path.write_text("2025-04-02T10:30:00+01:00")
    import os

    os.utime(path, ns=(1, 2_000_000_000_000))  # a new mtime even within the same clock tick
    assert clock() == datetime(2025, 4, 2, 9, 30, tzinfo=UTC)


def test_a_naive_moment_is_refused(tmp_path):
    path = tmp_path / "clock"
    path.write_text("2025-03-01T09:00:00")
    with pytest.raises(ValueError, match="time zone"):
        file_clock(path)()
