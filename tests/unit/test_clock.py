"""The simulated calendar of a demo: `duo serve` reads it only when started for one, and passes it on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from devtool.simulated_clock import clock_from_environment, file_clock
from shared.clock import utc_now


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


def test_only_the_development_tool_knows_the_simulated_calendar():
    root = Path(__file__).resolve().parents[2]
    readers = [
        str(path.relative_to(root))
        for top in ("shared", "services")
        for path in sorted((root / top).rglob("*.py"))
        if "SIMULATED_CLOCK" in path.read_text() or "clock_from_environment" in path.read_text()
    ]
    assert not readers, f"core code must take a clock, not read the demo's: {readers}"


def test_the_simulated_clock_follows_a_file_replaced_by_another(tmp_path):
    path = tmp_path / "clock"
    path.write_text("2025-03-01T09:00:00+00:00")
    clock = file_clock(path)
    assert clock() == datetime(2025, 3, 1, 9, tzinfo=UTC)
    replacement = tmp_path / "clock.new"
    replacement.write_text("2025-05-06T07:00:00+00:00")
    replacement.replace(path)  # renamed over it: the file the clock held open is gone
    assert clock() == datetime(2025, 5, 6, 7, tzinfo=UTC)
    path.write_text("2025-05-07T07:00:00+00:00")
    import os

    os.utime(path, ns=(1, 3_000_000_000_000))
    assert clock() == datetime(2025, 5, 7, 7, tzinfo=UTC)
