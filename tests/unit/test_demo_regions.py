"""`duo demo --regions`: the NL/FR scenario plans only the other region's branches, and the comparison of the
federation's roll-up with the regions' own publications names every difference (a branch's row, a total)."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from devtool.cli_demo_regions import OTHER, OTHER_SCENARIO, WEST, _quarter_end, rollup_differences, rollup_lines
from devtool.demo import people
from devtool.demo.people import MENTEE_AGES, PROGRAMME_LANGUAGES
from devtool.demo.scenario import load
from devtool.demo.simulator import area_offices
from services.intake.adapters.rules_files import load_rule_book
from shared.tenancy import OFFICES, Tenant
from tests.cli import environment
from tests.demo_scenarios import scenario


def row(registered: int | None, formed: int | None) -> dict:
    return {"registered": registered, "duos_formed": formed, "positive_exit_rate": None}


OWN = {
    "west": {"by_branch": {"BE": row(40, 30)}, "total": row(40, 30)},
    "fr": {"by_branch": {"NL": row(6, None), "FR": row(9, None)}, "total": row(15, 11)},
}
ACROSS = {
    "by_branch": {
        "BE": {"region": "west", **row(40, 30)},
        "NL": {"region": "fr", **row(6, None)},
        "FR": {"region": "fr", **row(9, None)},
    },
    "total": row(55, 41),
}


def test_the_other_regions_scenario_plans_its_branches_only_and_scales_by_branch():
    scenario = load(packaged=OTHER_SCENARIO)
    assert scenario.branches == sorted(OTHER[1].split(","))
    offices = area_offices()
    assert {OFFICES[o][0].value for area in scenario.duos for o in offices[area]} == {"NL", "FR"}
    assert load().branches == [WEST[1]]
    scaled = scenario.scaled(0.005)  # 960 duos x 0.005 = 4.8: five, shared out to NL and FR first
    assert sum(map(sum, scaled.values())) == 5
    assert all(sum(scaled[a]) for a in ("Noord-Holland", "Paris"))  # each branch forms duos at the test's scale


def test_a_roll_up_that_is_the_regions_sum_has_no_difference_and_hidden_cells_print_as_hidden():
    assert rollup_differences(ACROSS, OWN) == []
    lines = rollup_lines(ACROSS, OWN)
    assert lines[0].split() == ["BE", "(west)", "FR", "(fr)", "NL", "(fr)", "west", "fr", "west+fr", "federation"]
    assert lines[2].split() == ["duos_formed", "30", "-", "-", "30", "11", "41", "41"]


def test_every_difference_is_named():
    across = copy.deepcopy(ACROSS)
    across["by_branch"]["NL"]["registered"] = 7
    across["total"]["duos_formed"] = None
    assert rollup_differences(across, OWN) == [
        "NL registered: federation 7, region fr 6",
        "total duos_formed: federation None, the regions' sum 41",
    ]
    own = copy.deepcopy(OWN)
    own["fr"]["total"]["duos_formed"] = None  # a region's hidden total: the federation's must be hidden too
    assert rollup_differences(ACROSS, own) == ["total duos_formed: federation 41, the regions' sum None"]


def test_the_quarter_is_the_one_the_day_is_in():
    assert _quarter_end(date(2028, 7, 28)) == date(2028, 9, 30)
    assert _quarter_end(date(2028, 9, 30)) == date(2028, 9, 30)
    assert _quarter_end(date(2028, 12, 1)) == date(2028, 12, 31)


@pytest.mark.parametrize("branch", list(Tenant))
def test_each_branchs_mentees_are_drawn_within_its_intake_rules(branch: Tenant):
    rules = load_rule_book().in_force(branch, date(2024, 1, 1)).mentee
    youngest, oldest = MENTEE_AGES[branch.value]
    # _birth draws an age and a birth date a year before it: the age on the day is the one drawn or one more.
    assert rules.min_age <= youngest and oldest + 1 <= rules.max_age
    assert set(PROGRAMME_LANGUAGES[branch.value]) <= rules.programme_languages


COUNTRY_CODES = {Tenant.BE: "+32 4", Tenant.NL: "+31 6 ", Tenant.FR: "+33 6 "}


@pytest.mark.parametrize("branch", list(Tenant))
def test_each_branchs_mentees_get_a_mobile_number_of_its_country(branch: Tenant):
    office = next(o for o, (tenant, *_) in OFFICES.items() if tenant == branch)
    numbers = {people.mentee(random.Random(n), office, date(2025, 3, 1), n)["phone"] for n in range(20)}
    assert all(n.startswith(COUNTRY_CODES[branch]) and len(n.replace(" ", "")) == 12 for n in numbers)
    assert len(numbers) > 15  # drawn, not one number for all


def test_belgian_mentees_are_drawn_as_before_so_the_memorandums_demo_does_not_move():
    body = people.mentee(random.Random(7), "be-antwerpen", date(2025, 3, 1), 7)
    rng = random.Random(7)
    rng.sample(people.PROGRAMME_LANGUAGES["BE"], k=rng.choice((1, 2)))
    rng.choice(people.FIRST), rng.choice(people.LAST), rng.getrandbits(32)
    expected = f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    assert body["phone"] == expected


@pytest.mark.parametrize("regions", [(), ("--regions",)])
def test_duo_demo_refuses_a_scenario_of_another_branch_before_starting_anything(tmp_path: Path, regions: tuple):
    path = tmp_path / "dutch.toml"
    path.write_text(scenario("dutch", 7, {"Noord-Holland": [4]}, months=2))
    run = subprocess.run(
        [sys.executable, "-m", "devtool.cli", "demo", "--scenario", str(path), "--no-serve", *regions],
        env=environment(tmp_path / "duo", DUO_DEMO_HOME=str(tmp_path / "demo")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "the scenario plans areas of NL" in run.stderr
    assert not (tmp_path / "demo").exists()  # nothing was started or created
