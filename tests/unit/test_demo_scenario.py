"""The demo's scenarios: the default one is the memorandum's annex, a bad file is refused naming the field, the
monthly quotas add up to each year exactly, and a seed gives the same draws."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from devtool.demo.scenario import REGIONS, ScenarioError, largest_remainder, load
from devtool.demo.simulator import (
    BOARD,
    MATCH_DAY,
    REGISTRATION_DAYS,
    SUGGESTIONS,
    WAITING_AT_ONCE,
    Duo,
    Mentor,
    Simulator,
    area_offices,
)
from services.reporting.domain.plan import PLANNED_DUOS, YEARS
from tests.cli import environment
from tests.demo_scenarios import scenario

GOOD = scenario(
    "small",
    7,
    {"Antwerpen": [8, 9], "Oost-Vlaanderen": [6, 6], "Vlaams-Brabant": [2, 3], "Brussels": [14, 13]},
    months=6,
)


def test_the_default_scenario_is_the_memorandums_annex_4801_duos():
    scenario = load()
    assert scenario.years == list(YEARS)
    assert {area: tuple(years) for area, years in scenario.duos.items()} == PLANNED_DUOS
    assert sum(sum(years) for years in scenario.duos.values()) == 4801


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("Antwerpen = [8, 9]", "Limburg = [8, 9]"), "duos: Value error, unknown areas ['Limburg']"),
        (("Brussels = [14, 13]", "Brussels = [14]"), "same number of years"),
        (("Brussels = [14, 13]", "Brussels = [14, -1]"), "cannot be negative"),
        (("positive_exit = 0.7", "positive_exit = 1.5"), "probabilities.positive_exit"),
        (("sustainable_work = 0.5", "sustainable_work = 0.8"), "probabilities.sustainable_work"),
        (("mentee_accepts = 0.93", "mentee_accepts = 0"), "probabilities.mentee_accepts"),
        (("months = 6", "months = 0"), "mentoring.months"),
        (("seed = 7", 'seed = "seven"'), "seed"),
        (("seed = 7", "seed = 7\nduration = 3"), "duration: Extra inputs are not permitted"),
        (("[mentoring]", "[mentoring"), "not valid TOML"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_field(tmp_path: Path, change: tuple[str, str], named: str):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ScenarioError, match="bad.toml") as refused:
        load(path)
    assert named in str(refused.value)


def test_duo_demo_refuses_a_bad_scenario_before_starting_anything(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("months = 6", "months = 99"))
    run = subprocess.run(
        [sys.executable, "-m", "devtool.cli", "demo", "--scenario", str(path), "--no-serve"],
        env=environment(tmp_path / "duo", DUO_DEMO_HOME=str(tmp_path / "demo")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "mentoring.months" in run.stderr
    assert not (tmp_path / "demo").exists()  # nothing was started or created


def simulator(tmp_path: Path, scale: float = 1.0, seed: int | None = None) -> Simulator:
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    return Simulator(load(path), scale, {}, {}, tmp_path / "clock", seed=seed)


def test_the_months_quotas_add_up_to_each_years_target_exactly_in_the_areas_offices(tmp_path: Path):
    sim = simulator(tmp_path, scale=3.0)
    offices = area_offices()
    for year in sim.scenario.years:
        months = [sim.quota(year, month) for month in range(1, 13)]
        for area, targets in sim.targets.items():
            target = targets[year - sim.scenario.first_year]
            assert sim.result.target[(area, year)] == target
            formed = sum(n for quota in months for office, n in quota.items() if office in offices[area])
            assert formed == target
    assert sim.targets["Brussels"] == [42, 39] and sim.targets["Vlaams-Brabant"] == [6, 9]


def test_a_seed_gives_the_same_draws_whatever_order_they_are_asked_in(tmp_path: Path):
    one, two, other = simulator(tmp_path), simulator(tmp_path), simulator(tmp_path, seed=8)
    keys = [("fate", n) for n in range(1, 50)]
    first = [one.rng(*k).random() for k in keys]
    second = [two.rng(*k).random() for k in reversed(keys)][::-1]
    assert first == second
    assert first != [other.rng(*k).random() for k in keys]


def matching_answering(
    mentees: list[str], mentors: list[str], declined: dict[str, set[str]], score, order: dict[str, int] | None = None
):
    """Matching's suggestions as it answers them, for a simulator's `call`: the office's board (each mentee's
    mentors, cut at BOARD) or one person's list (cut at SUGGESTIONS); the best first, equal scores in the order of
    record ids (`order`, new in every run)."""
    order = order or {}

    def ranked(pairs: list[tuple[float, str]], most: int) -> list[dict]:
        pairs.sort(key=lambda pair: (-pair[0], order.get(pair[1], 0)))
        return [{"person_id": person, "score": s} for s, person in pairs[:most]]

    def free_for(mentee: str) -> list[str]:
        return [f for f in mentors if f not in declined.get(mentee, ())]

    def answer(path: str) -> dict:
        side, _slash, person = path.partition("?")[0].removeprefix("/suggestions/").partition("/")
        if side == "offices":
            board = [{"mentee_id": m, "items": ranked([(score(m, f), f) for f in free_for(m)], BOARD)} for m in mentees]
            return {"mentees": board}
        if side == "mentees":
            return {"items": ranked([(score(person, f), f) for f in free_for(person)], SUGGESTIONS)}
        return {"items": ranked([(score(m, person), m) for m in mentees if person in free_for(m)], SUGGESTIONS)}

    return answer


def test_the_office_board_is_read_and_the_mentor_side_when_a_mentees_list_may_be_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    sim = simulator(tmp_path)
    read: list[str] = []
    mentors, mentees = ["f-first", "f-second"], ["m1", "m2"]

    async def call(service: str, method: str, path: str, body: dict | None = None, **_: object) -> dict:
        # Matching's pool holds what the simulator did: each list is the counterparts expected.
        read.append(path.partition("?")[0])
        return matching_answering(mentees, mentors, sim.declined, lambda m, f: 1.0)(path)

    monkeypatch.setattr(sim, "call", call)  # the requests, answered here instead of sent
    for number, mentor_id in enumerate(mentors, start=1):
        sim.mentors[mentor_id] = Mentor(mentor_id, "be-brussel", 2, number)
    sim.declined["m2"] = {"f-first"}  # its list is f-second alone
    found = asyncio.run(sim.pool_known("be-brussel", set(mentees)))
    assert {m: [i["person_id"] for i in items] for m, items in found.items()} == {
        "m1": ["f-first", "f-second"],
        "m2": ["f-second"],
    }
    assert read == ["/suggestions/offices/be-brussel"]  # one read for the office's waiting mentees

    # A mentee expecting BOARD mentors or more: its list may be cut, and every free mentor is read instead.
    read.clear()
    mentors = [f"f{i}" for i in range(BOARD)]
    sim.mentors = {f: Mentor(f, "be-brussel", 1, n) for n, f in enumerate(mentors, start=1)}
    sim.declined = {"m2": {"f0"}}
    found = asyncio.run(sim.pool_known("be-brussel", set(mentees)))
    assert sorted(read) == sorted(f"/suggestions/mentors/{f}" for f in mentors)
    assert {m: {i["person_id"] for i in items} for m, items in found.items()} == {
        "m1": set(mentors),
        "m2": set(mentors) - {"f0"},
    }


@pytest.mark.parametrize("free", [60, BOARD + 10])
def test_the_pairs_proposed_follow_the_plan_not_the_record_ids_behind_a_cut_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int
):
    """Matching lists a mentee's best mentors (50 alone, 500 on the board), equal scores in the order of the mentors'
    record ids, new in every run. The pairs proposed are the same whatever those ids: the best score, then the mentor
    recruited first; with more free mentors than a list holds too (the mentor side read instead)."""
    mentors = [f"f{n}" for n in range(1, free + 1)]
    mentees = [f"m{n}" for n in range(1, 6)]
    declined = {"m2": {"f3", "f7"}}

    def score(mentee: str, mentor: str) -> float:
        return 0.5 if int(mentor[1:]) % 11 == int(mentee[1:]) else 1.0  # the best score: more than 50 mentors

    def picked(record_ids: list[str]) -> list[tuple[str, str]]:
        sim = simulator(tmp_path)
        sim.mentors = {f: Mentor(f, "be-brussel", 1, int(f[1:])) for f in mentors}
        sim.number_of = {m: int(m[1:]) for m in mentees}
        sim.declined = {m: set(d) for m, d in declined.items()}
        order = {person: index for index, person in enumerate(record_ids)}
        answer = matching_answering(mentees, mentors, sim.declined, score, order)

        async def call(service: str, method: str, path: str, body: dict | None = None, **_: object) -> dict:
            return answer(path)

        monkeypatch.setattr(sim, "call", call)  # matching's suggestions, answered here
        return asyncio.run(sim.pick("be-brussel", set(mentees)))

    one_run = picked(mentors + mentees)
    another_run = picked(list(reversed(mentors + mentees)))  # the mentors recruited first now listed last
    assert one_run == another_run
    # The plan's choice: each mentee in turn, the best score among the mentors left, then the first recruited.
    expected, taken = [], set()
    for mentee in mentees:
        free_now = [f for f in mentors if f not in taken and f not in declined.get(mentee, set())]
        best = min(free_now, key=lambda f: (-score(mentee, f), int(f[1:])))
        taken.add(best)
        expected.append((mentee, best))
    assert one_run == expected


def test_no_more_mentees_of_an_office_wait_at_once_than_a_mentors_suggestions_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A month of 55 mentees at one office (the full plan's Brussels): the first WAITING_AT_ONCE are interviewed
    when they register, the others on the match day as places free up, in the order of their numbers."""
    sim = simulator(tmp_path)
    interviewed: list[str] = []

    async def call(service: str, method: str, path: str, body: dict | None = None, **_: object) -> dict:
        if path in ("/mentees", "/mentors"):  # the person's id from its number, drawn into its e-mail address
            assert body is not None
            serial = body["email"].partition(".")[0].removeprefix("mentee").removeprefix("mentor")
            return {"mentee_id": f"m{serial}"} if path == "/mentees" else {"mentor_id": f"f{serial}"}
        if path.endswith("/intake-interview"):
            interviewed.append(path.split("/")[2])
        return {}

    monkeypatch.setattr(sim, "call", call)  # intake, answering here
    waiting, held = asyncio.run(sim.register(2025, 3, {"be-brussel": 55}))
    in_order = [f"m{n}" for n in range(1, 56)]
    assert WAITING_AT_ONCE < SUGGESTIONS
    assert set(waiting["be-brussel"]) == set(interviewed) == set(in_order[:WAITING_AT_ONCE])
    assert held == {"be-brussel": in_order[WAITING_AT_ONCE:]}

    interviewed.clear()
    left = {"be-brussel": set(in_order[:WAITING_AT_ONCE]) - {"m1", "m2", "m3", "m4"}}  # four matched
    asyncio.run(sim.let_wait(left, held))
    assert interviewed == in_order[WAITING_AT_ONCE : WAITING_AT_ONCE + 4]
    assert len(left["be-brussel"]) == WAITING_AT_ONCE and held == {"be-brussel": in_order[WAITING_AT_ONCE + 4 :]}
    interviewed.clear()
    asyncio.run(sim.let_wait({"be-brussel": set()}, held))
    assert interviewed == in_order[WAITING_AT_ONCE + 4 :] and held == {}


@pytest.mark.parametrize("scale", [0.003, 0.01, 0.05, 0.1, 0.37, 0.5, 2.5])
def test_scaled_plans_keep_the_total_each_regions_and_each_areas_exact_by_largest_remainder(scale: float):
    plan = load()
    scaled = plan.scaled(scale)
    factor = Fraction(str(scale))

    def half_up(value: Fraction) -> int:
        return math.floor(value + Fraction(1, 2))

    whole = sum(sum(years) for years in plan.duos.values()) * factor
    assert sum(sum(years) for years in scaled.values()) == half_up(whole)
    for area, years in plan.duos.items():
        exact = sum(years) * factor
        assert math.floor(exact) <= sum(scaled[area]) <= math.ceil(exact)  # its exact share, rounded
        for n, got in zip(years, scaled[area], strict=True):
            assert math.floor(n * factor) <= got <= math.ceil(n * factor)
    for areas in REGIONS.values():  # the memorandum's regions (it plans no other branch's areas)
        exact = sum(sum(plan.duos.get(a, [])) for a in areas) * factor
        assert math.floor(exact) <= sum(sum(scaled.get(a, [])) for a in areas) <= math.ceil(exact)


def test_the_annex_comes_back_exactly_at_scale_one_and_halves_are_not_rounded_to_even():
    plan = load()
    assert plan.scaled(1.0) == plan.duos
    # Vlaams-Brabant's 170 x 0.05 = 8.5 and Oost-Vlaanderen's 990 x 0.05 = 49.5 tie: the larger share gets the one.
    scaled = plan.scaled(0.05)
    assert (sum(scaled["Oost-Vlaanderen"]), sum(scaled["Vlaams-Brabant"])) == (50, 8)
    tie = {"a": Fraction(5, 2), "b": Fraction(5, 2), "c": Fraction(1)}
    assert largest_remainder(tie, 6) == {"a": 3, "b": 2, "c": 1}  # equal remainders and shares: the earlier


def test_a_months_mentees_register_15_to_22_days_before_they_are_matched(tmp_path: Path):
    days = {MATCH_DAY - day for day in REGISTRATION_DAYS}
    assert min(days) >= 15 and max(days) <= 30  # the public 15 days to a month (docs/domain.md)
    sim = simulator(tmp_path)
    drawn = {sim.rng("registration-day", n).choice(REGISTRATION_DAYS) for n in range(1, 40)}
    assert drawn == set(REGISTRATION_DAYS)


def test_a_mentor_who_leaves_takes_no_new_duo_and_withdraws_once_after_the_last_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "leaving.toml"
    path.write_text(scenario("leaving", 7, {"Brussels": [4]}, months=6, mentor_continues=0.0))
    sim = Simulator(load(path), 1.0, {}, {}, tmp_path / "clock")
    sent: list[tuple[str, str, dict | None]] = []

    async def call(service: str, method: str, path: str, body: dict | None = None, **_: object) -> dict:
        sent.append((method, path, body))
        return {}

    monkeypatch.setattr(sim, "call", call)  # the requests, recorded instead of sent
    both, one = Mentor("f-both", "be-brussel", 2, 1, busy=2), Mentor("f-one", "be-brussel", 2, 2, busy=2)
    sim.mentors = {m.mentor_id: m for m in (both, one)}
    day = date(2025, 7, 28)
    duos = [
        Duo(f"d{n}", "be-brussel", mentor, n, date(2025, 1, 23), day, "none", False, ended_on=day)
        for n, mentor in ((1, "f-both"), (2, "f-both"), (3, "f-one"))
    ]
    asyncio.run(sim.mentors_after(duos))
    # Both of f-both's duos ended on one day: one withdrawal, never two. f-one still mentors: no room for another.
    assert sorted(sent, key=str) == [
        ("PATCH", "/mentors/f-one", {"capacity": 1}),
        ("POST", "/mentors/f-both/withdrawal", {"reason": "personal_circumstances"}),
    ]
    assert not one.active and one.busy == 1
    sent.clear()
    asyncio.run(sim.mentors_after([Duo("d4", "be-brussel", "f-one", 4, day, day, "none", False, ended_on=day)]))
    assert sent == [("POST", "/mentors/f-one/withdrawal", {"reason": "personal_circumstances"})]
