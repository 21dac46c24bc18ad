"""`duo bench`: the benchmarks of bench/ side by side on one server, a table printed, the figures as JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]  # bench/ lives beside devtool/ in a checkout, not in the package


def _runner_on_path() -> bool:
    """Whether this is a checkout with bench/ (then importable), as `duo bench` needs."""
    if not (CHECKOUT / "bench" / "runner.py").exists():
        return False
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    return True


def _bench(args: argparse.Namespace) -> int:
    if not _runner_on_path():
        print("duo bench: run it from a checkout of the repository (bench/ is not installed)", file=sys.stderr)
        return 2
    from bench.runner import main

    return main(args)


def add_bench_commands(sub: argparse._SubParsersAction) -> None:
    """Register `duo bench`, with bench/runner.py's own options when the checkout has it: one list of benchmarks
    (a copy of it here once lacked `reads` and `consumer`, so `duo bench` could not run them)."""
    about = "run the benchmarks (docs/performance.md) and write their figures as JSON"
    if _runner_on_path():
        from bench.runner import add_arguments

        bench = sub.add_parser("bench", help=about)
        add_arguments(bench)
    else:
        # Installed without a checkout: whatever options were given (none of them an option here, so argparse
        # takes them as words), `_bench` says why it cannot run instead of argparse refusing them one by one.
        bench = sub.add_parser("bench", help=about, prefix_chars="+", add_help=False)
        bench.add_argument("options", nargs="*")
    bench.set_defaults(handler=_bench)
