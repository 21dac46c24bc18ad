"""`duo demo --chaos`: a small programme run clean, then again while the demo kills services, the broker and
PostgreSQL (SIGKILL); the second run's figures are the first's, line for line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import environment
from tests.demo_scenarios import scenario
from tests.e2e.conftest import free_port_offset

pytestmark = pytest.mark.e2e

# A year of formations and three months of mentoring: every duo ends, mentors are recruited and continue; long
# enough on a quiet machine for several kills (a kill every 3-5 s).
SCENARIO = scenario("chaos", 5, {"Antwerpen": [24], "Brussels": [24]}, months=3)


@pytest.mark.timeout(2400)
def test_a_programme_killed_under_its_feet_gives_the_clean_runs_figures_line_for_line(tmp_path: Path):
    small = tmp_path / "small.toml"
    small.write_text(SCENARIO)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtool.cli",
            "demo",
            "--scenario",
            str(small),
            "--no-serve",
            "--chaos",
            "--chaos-seed",
            "4",
            "--chaos-every",
            "3-5",
            "--port-offset",
            str(free_port_offset()),
        ],
        env=environment(tmp_path / "unused", DUO_DEMO_HOME=str(tmp_path / "demo")),
        capture_output=True,
        text=True,
        timeout=2300,
    )
    output = run.stdout + run.stderr[-3000:]
    assert "no clean run of this seed recorded yet" in run.stderr  # the clean run came first, and was recorded
    assert list((tmp_path / "demo-figures").iterdir()), output
    kills = re.findall(r"^\s+[\d.]+ s  killed (\w+) \(pid \d+\)$", run.stdout, re.M)
    assert len(kills) >= 3, output
    assert run.returncode == 0 and "figures identical to the clean run's, line for line" in run.stdout, output
    assert "rebuilt figures equal the live ones" in run.stdout.split("chaos (seed 4)")[0], output
