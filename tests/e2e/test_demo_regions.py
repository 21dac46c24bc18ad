"""`duo demo --regions --no-serve` end to end: region west (BE) runs the memorandum's plan, region fr (NL, FR) the
NL/FR scenario, each a `duo run --region` with a federation over both; the command prints the federation's roll-up
of the quarter beside each region's own publication and finds it equal to their sum. At scale 0.005, the smallest
that forms duos in every branch of both regions (24 in BE, 5 in NL and FR: tests/unit/test_demo_regions.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from devtool.cli_demo_regions import PORTS_APART
from devtool.cli_services import DEFAULT_PORTS
from tests.cli import environment
from tests.e2e.conftest import can_bind, free_port_offset

pytestmark = pytest.mark.e2e


def two_regions_offset() -> int:
    """An offset under which west's, fr's and the federation's ports are all free."""
    while True:
        offset = free_port_offset()
        if all(can_bind(port + offset + PORTS_APART) for port in DEFAULT_PORTS.values()):
            return offset


@pytest.mark.timeout(1800)
def test_the_regions_demo_prints_a_federation_roll_up_equal_to_the_regions_sum(tmp_path: Path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtool.cli",
            "demo",
            "--regions",
            "--no-serve",
            "--scale",
            "0.005",
            "--port-offset",
            str(two_regions_offset()),
        ],
        env=environment(tmp_path / "unused", DUO_DEMO_HOME=str(tmp_path / "demo")),
        capture_output=True,
        text=True,
        timeout=1700,
    )
    out = run.stdout
    assert run.returncode == 0, out[-3000:] + run.stderr[-3000:]
    # Each region ran its programme: duos formed and ended in both.
    ran = {
        m[1]: (m[2], int(m[3]), int(m[4]))
        for m in re.finditer(r"^Region (\w+) \(([\w,]+)\): .*?, (\d+) duos formed, (\d+) ended", out, re.M)
    }
    assert ran["west"][0] == "BE" and ran["fr"][0] == "NL,FR"
    assert ran["west"][1] == 24 and ran["fr"][1] == 5 and ran["west"][2] == 24 and ran["fr"][2] == 5
    assert "memorandum" in out and re.search(r"^  Brussels\s+2024\s+575\s+\d+\s+\d+$", out, re.M)  # west's plan table
    # The roll-up: a column per branch, each region's total, their sum and the federation's ("-": hidden).
    quarter = re.search(r"roll-up of the quarter ending (\d{4}-\d\d-\d\d)", out)
    assert quarter and quarter[1] == "2028-09-30"
    header = re.search(r"^\s+BE \(west\)\s+FR \(fr\)\s+NL \(fr\)\s+west\s+fr\s+west\+fr\s+federation$", out, re.M)
    assert header
    rows = dict(re.findall(r"^  ([a-z_]+)\s+((?:\s+(?:\d+|-)){7})$", out, re.M))
    assert set(rows) == {
        "applications",
        "registered",
        "refused",
        "duos_formed",
        "duos_ended",
        "positive_exits",
        "sustainable_jobs",
        "active_mentors",
    }
    for headline, text in rows.items():
        be, fr, nl, west, fr_total, both, federation = text.split()
        assert be == west, headline  # west hosts BE alone: its row is west's total, shown or hidden alike
        assert both == federation, headline  # the federation's total is the regions' sum, or hidden as it is
        if "-" not in (west, fr_total):
            assert int(both) == int(west) + int(fr_total), headline
    assert "the roll-up against the regions' own figures, each branch and the sum of the totals: equal" in out
