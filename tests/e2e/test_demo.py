"""`duo demo` end to end: a small scenario driven through the four services as separate processes, over
their HTTP APIs; the formed duos equal the scenario's exactly, the rates land near its probabilities."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import environment
from tests.demo_scenarios import scenario
from tests.e2e.conftest import free_port_offset

pytestmark = pytest.mark.e2e

SCENARIO = scenario(
    "small", 7, {"Antwerpen": [8], "Oost-Vlaanderen": [6], "Vlaams-Brabant": [2], "Brussels": [14]}, months=2
)


def within(rate: float, p: float, n: int) -> bool:
    """The stated tolerance: four standard deviations of a binomial share of n."""
    return abs(rate - p) <= 4 * math.sqrt(p * (1 - p) / n)


def run_demo(tmp_path: Path, name: str) -> str:
    """`duo demo` on the small scenario, as a separate process with its own data folder; its output."""
    scenario = tmp_path / "small.toml"
    scenario.write_text(SCENARIO)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtool.cli",
            "demo",
            "--scenario",
            str(scenario),
            "--no-serve",
            "--port-offset",
            str(free_port_offset()),
        ],
        env=environment(tmp_path / "unused", DUO_DEMO_HOME=str(tmp_path / name)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


def outcome_lines(stdout: str) -> list[str]:
    """The lines of the outcome rates and surveys, drawn per person (mentor retention depends on matching)."""
    return [
        line
        for line in stdout.splitlines()
        if line.startswith("    ") and ("positive_exit" in line or "sustainable_work" in line or "." in line.split()[0])
    ]


@pytest.mark.timeout(1200)
def test_a_small_scenario_forms_exactly_its_duos_and_reports_its_rates_and_a_seed_repeats_them(tmp_path: Path):
    stdout = run_demo(tmp_path, "first")
    # "  area  year  planned  x scale  formed": the plan's rows, with what the scenario asked for at its scale.
    rows = re.finditer(r"^  (\S+)\s+(\S+)\s+\d+\s+(\d+)\s+(\d+)$", stdout, re.M)
    table = {(m[1], m[2]): (int(m[3]), int(m[4])) for m in rows}
    assert table[("Antwerpen", "2025")] == (8, 8) and table[("Brussels", "2025")] == (14, 14)
    assert table[("Flanders", "2025")] == (16, 16)
    lines = re.finditer(r"^    (\w+)\s+\d+%\s+\((\d+) of (\d+);", stdout, re.M)
    rates = {m[1]: (int(m[2]), int(m[3])) for m in lines}
    positive, ended = rates["positive_exit"]
    sustainable, _ = rates["sustainable_work"]
    assert ended == 30
    assert within(positive / ended, 0.70, ended) and within(sustainable / ended, 0.50, ended)
    assert "rebuilt figures equal the live ones" in stdout
    assert "rounded by largest remainder" in stdout  # the rounding rule stated with the scaled plan
    assert re.search(r"^      scenario's rate 90%, standard deviation [\d.]+% of \d+: [+-]\d+\.\d sd$", stdout, re.M)
    median = re.search(r"^    time to match\s+median ([\d.]+) days$", stdout, re.M)
    assert median and 15 <= float(median[1]) <= 22  # registered 15 to 22 days before matching: 15 days to a month

    # The same seed again, on a fresh platform: the same people decide the same, whatever the timing.
    again = outcome_lines(run_demo(tmp_path, "second"))
    assert len(again) == 7, again  # two rates and five survey questions
    assert again == outcome_lines(stdout)
