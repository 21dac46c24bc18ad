"""A small-scale run of every benchmark of bench/: each runs and reports its figures and targets. Never its speed:
a test never decides on a time (docs/performance.md holds the figures)."""

from __future__ import annotations

import json
import math

import pytest

from bench.runner import BENCHMARKS, run_all, table, write
from devtool.cli import build_parser

pytestmark = pytest.mark.integration

SMOKE_SCALE = 0.002  # 40 appends, 2,000 events replayed, 2 s of commands at 5/s and 20/s, 16 commands per run

EXPECTED_FIGURES = {
    "appends": ["ours, 1 writer(s)", "eventsourcing, 8 writer(s)", "ratio ours/library, 8 writer(s)"],
    "replay": [
        "rebuild replay, N",
        "raw aiokafka read, N",
        "rebuild peak RSS, N/4",
        "rebuild peak RSS, N",
        "ratio replay and read models/raw, N",
        "read models' build CPU per event, python, N",
        "read models' build CPU per event, postgres, N",
    ],
    "freshness": ["freshness p50 at 20/s", "freshness p99 at 20/s", "freshness max at 20/s"],
    "commands": [
        "registration, 8 client(s): rate",
        "meeting logged, 1 client(s): p99",
        "relay, full outbox to broker acknowledgement",
        "relay, one event from commit to ack: p50",
    ],
    "matching": ["solve_round", "pairings"],
    "reads": [
        "/stats/mentees, 1 reader(s), 200 facts: p99",
        "/figures as of a past day, 8 reader(s), 2,000 facts: p99",
        "/coordination, 8 reader(s), 2,000 facts: p99",
        "/history/{duo}, 1 reader(s), 2,000 facts: p99",
        "/figures/positive_exit/events, first page, 1 reader(s), 2,000 facts: p99",
        "/figures/positive_exit/events, a page deep in the list, 8 reader(s), 2,000 facts: p99",
        "federation roll-up /figures, 8 reader(s), 2,000 facts: p99",
        "reporting peak RSS after 2,000 facts",
        "figures off the ledger after the fill to 2,000 facts",
        "funder's dashboard, first load, 2,000 facts",
        "funder's dashboard, next loads, 2,000 facts: max",
        "freshness through the API p99 at 10/s with 2,000 facts",
    ],
    "consumer": ["catch-up per second (backlog once all written)", "facts parked"],
}


# Each benchmark runs in a test of its own: each stays within the suite's time limit per test, on a loaded machine too.
@pytest.mark.parametrize("name", [name for name in BENCHMARKS if name != "reads"])
def test_each_benchmark_runs_and_reports_its_figures(infra, tmp_path, name):
    document = run_all(infra, scale=SMOKE_SCALE, repeat=1, only=[name], say=lambda _: None)
    assert list(document["benchmarks"]) == [name]
    assert document["machine"]["cpus"] and document["machine"]["postgres"]
    assert_figures_reported(document, {name: EXPECTED_FIGURES[name]})
    if name == "commands":
        commands = {f["name"]: f for f in document["benchmarks"]["commands"]["figures"]}
        assert all(f["max"] == 0 for n, f in commands.items() if n.endswith("failed")), "every command was accepted"
    if name == "replay":
        replay = {f["name"]: f for f in document["benchmarks"]["replay"]["figures"]}
        assert replay["rebuild facts stored, N"]["max"] == document["benchmarks"]["replay"]["notes"]["events_N"]
    out = tmp_path / "bench.json"
    write(document, out)
    assert json.loads(out.read_text())["scale"] == SMOKE_SCALE


def test_the_reads_benchmark_runs_and_reports_its_figures(infra):
    document = run_all(infra, scale=SMOKE_SCALE, repeat=1, only=["reads"], say=lambda _: None)
    assert list(document["benchmarks"]) == ["reads"]
    assert_figures_reported(document, {"reads": EXPECTED_FIGURES["reads"]})
    reads = {f["name"]: f for f in document["benchmarks"]["reads"]["figures"]}
    # The ledger grown by copies of one generated block (fresh ids each): the API counts what the ledger holds.
    for size in ("200", "2,000"):
        assert reads[f"figures off the ledger after the fill to {size} facts"]["max"] == 0
    assert document["benchmarks"]["reads"]["notes"]["facts"] >= 2_000


def assert_figures_reported(document: dict, expected_figures: dict[str, list[str]]) -> None:
    for name, expected in expected_figures.items():
        result = document["benchmarks"][name]
        figures = {f["name"]: f for f in result["figures"]}
        for figure in expected:
            assert figure in figures, f"{name} reports no {figure!r}: {sorted(figures)}"
            f = figures[figure]
            assert len(f["runs"]) >= 1 and f["unit"]
            assert all(isinstance(f[k], float | int) and not math.isnan(f[k]) for k in ("min", "median", "max"))
            assert f["min"] <= f["median"] <= f["max"]
        for target in result["targets"]:
            assert target["required"] and target["measured"] and target["met"] in (True, False)


def test_duo_bench_runs_a_chosen_benchmark_and_writes_its_json(tmp_path, capsys):
    out = tmp_path / "results" / "bench.json"
    args = build_parser().parse_args(
        ["bench", "--scale", "0.001", "--repeat", "1", "--only", "matching", "--out", str(out)]
    )
    assert args.handler(args) == 0
    document = json.loads(out.read_text())
    assert list(document["benchmarks"]) == ["matching"]
    printed = capsys.readouterr().out
    assert "solve_round" in printed and str(out) in printed


def test_the_table_names_every_target_and_its_verdict():
    from bench.common import Result, at_least

    result = Result("appends")
    result.figure("ours, 1 writer(s)", "events/s").add(1000)
    result.targets.append(at_least("appends", 1.5, 3.0, "x", "the library's rate"))
    text = table([result])
    assert "ours, 1 writer(s)" in text and "MISSED" in text and "0.50 of the target" in text
