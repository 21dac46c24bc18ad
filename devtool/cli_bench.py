"""`duo bench`: the benchmarks of bench/ side by side on one server, a table printed, the figures as JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]  # bench/ lives beside devtool/ in a checkout, not in the package


def _bench(args: argparse.Namespace) -> int:
    if not (CHECKOUT / "bench" / "runner.py").exists():
        print("duo bench: run it from a checkout of the repository (bench/ is not installed)", file=sys.stderr)
        return 2
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    from bench.runner import main

    return main(args)


def add_bench_commands(sub: argparse._SubParsersAction) -> None:
    """Register `duo bench`."""
    bench = sub.add_parser("bench", help="run the benchmarks (docs/performance.md) and write their figures as JSON")
    bench.add_argument("--scale", type=float, default=1.0, help="1: full sizes (1,000,000 events replayed, ...)")
    bench.add_argument("--repeat", type=int, default=3, help="runs of each measurement, for min/median/max")
    names = ("appends", "replay", "freshness", "commands", "matching")
    bench.add_argument("--only", nargs="+", choices=names, default=list(names), help="only these benchmarks")
    bench.add_argument("--out", type=Path, default=Path(".duo/bench.json"), help="the JSON results' path")
    bench.set_defaults(handler=_bench)
