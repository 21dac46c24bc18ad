"""The chaos of `duo demo --chaos`: kills drawn from its seed, parts being restarted skipped, differences shown."""

from __future__ import annotations

import subprocess
import sys

from devtool.demo.chaos import Chaos, compare
from tests.cli import wait_until


def sleeper() -> subprocess.Popen:
    """A process for the chaos to kill: it only has to be alive (killed long before its 120 s are up)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def test_the_chaos_kills_the_drawn_parts_and_passes_its_turn_on_a_part_being_restarted():
    alive = {"intake": sleeper(), "kafka": sleeper()}
    try:
        chaos = Chaos(7, ("intake", "kafka", "postgres"), lambda: {n: p.pid for n, p in alive.items()}, (0.01, 0.02))
        chaos.start()
        wait_until(lambda: all(p.poll() is not None for p in alive.values()), 30, "both parts killed")
        kills = chaos.stop()
    finally:
        for process in alive.values():
            process.kill()
    assert {k.part for k in kills} >= {"intake", "kafka"} and "postgres" not in {k.part for k in kills}
    assert [k.pid for k in kills if k.part == "intake"][0] == alive["intake"].pid
    assert alive["intake"].returncode == -9  # SIGKILL, as a crash


def test_figures_compared_line_for_line():
    clean = ["  positive_exit 77%", "  mentor_retention 88%"]
    assert compare(clean, list(clean)) == []
    assert compare(clean, ["  positive_exit 77%", "  mentor_retention 92%"]) == [
        "--- clean run",
        "+++ chaos run",
        "-  mentor_retention 88%",
        "+  mentor_retention 92%",
    ]
