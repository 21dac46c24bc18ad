"""`duo bench` offers every benchmark bench/runner.py has: its options are the runner's own."""

from __future__ import annotations

from bench.runner import BENCHMARKS
from devtool.cli import build_parser


def test_duo_bench_accepts_every_benchmark_and_runs_them_all_by_default():
    parser = build_parser()
    chosen = parser.parse_args(["bench", "--only", *BENCHMARKS])
    assert chosen.only == list(BENCHMARKS)
    assert parser.parse_args(["bench"]).only == list(BENCHMARKS)  # `reads` and `consumer` included
