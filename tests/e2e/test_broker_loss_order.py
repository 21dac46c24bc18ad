"""The broker killed (-9) three times under a load of four-event streams: each new broker's topic holds every
stream in version order, the whole store republished by the relay before anything new (bench/broker_loss_order.py
does it ten times)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.broker_loss_order import kill_broker_repeatedly, out_of_order
from tests.e2e.conftest import start_platform, stop_platform
from tests.e2e.test_walking_skeleton import staff

pytestmark = pytest.mark.e2e


def test_versions_counted_at_their_first_appearance_must_run_one_two_three():
    assert out_of_order([("a", 1), ("b", 1), ("a", 2), ("a", 1), ("a", 3)]) == []  # a duplicate later is fine
    assert out_of_order([("a", 2), ("a", 1)]) == ["a: [2, 1]"]
    assert out_of_order([("b", 1), ("b", 3)]) == ["b: [1, 3]"]


@pytest.mark.timeout(600)
def test_every_new_broker_gets_each_stream_in_version_order(tmp_path: Path):
    home = tmp_path / "duo"
    platform = start_platform(home)
    try:
        reports = asyncio.run(kill_broker_repeatedly(home, platform.urls["intake"], staff(home, "coordinator"), 3))
        assert [r.kill for r in reports] == [1, 2, 3]
        assert all(r.streams > 10 for r in reports), reports  # the load kept going across the kills
        assert [r.out_of_order for r in reports] == [[], [], []], reports
        log = platform.log.read_text(errors="replace")
        assert log.count("a new broker log: the whole store is published to it again") >= 3
    finally:
        stop_platform(platform)
