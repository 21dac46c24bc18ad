"""Run the benchmarks on one server (the embedded stack in a temporary folder unless given one), print a table,
and write the results as JSON.

`duo bench [--scale S] [--repeat R] [--only NAME ...] [--out PATH]` (devtool/cli_bench.py), or
`.venv/bin/python -m bench.runner` with the same options. Figures are printed and recorded; nothing is judged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Result, Servers, machine, server_versions

BENCHMARKS = ("appends", "replay", "freshness", "commands", "matching", "reads", "consumer")
DEFAULT_OUT = Path(".duo/bench.json")


@contextlib.contextmanager
def embedded_servers() -> Iterator[Servers]:
    """The embedded PostgreSQL and Tansu in a temporary data folder, stopped afterwards."""
    from devtool import stack

    with tempfile.TemporaryDirectory(prefix="duo-bench-") as home:
        # The event signing keys of this run: its relays and writers sign with them, its consumers verify.
        os.environ["DUO_EVENT_KEYS_DIR"] = str(Path(home) / "event-keys")
        endpoints = stack.up(Path(home))
        try:
            yield endpoints
        finally:
            stack.down(Path(home))


def run_one(name: str, servers: Servers, scale: float, repeat: int) -> Result:
    started = time.perf_counter()
    if name == "appends":
        from bench import appends

        result = appends.measure(servers, scale, repeat)
    elif name == "replay":
        from bench import replay

        # The benchmark's topics are not in a live ledger, so only quiet ends the replay: long enough that a worker
        # starved of CPU (a loaded machine) is not taken for the end of the log. The quiet is not in the figure.
        result = replay.measure(servers, scale, repeat, idle_s=5.0)
    elif name == "freshness":
        from bench import freshness

        result = freshness.measure(servers, scale, repeat)
    elif name == "commands":
        from bench import commands

        result = commands.measure(servers, scale, repeat)
    elif name == "matching":
        from bench import matching

        result = matching.measure(scale, repeat)
    elif name == "reads":
        from bench import reads

        result = reads.measure(servers, scale, repeat)
    elif name == "consumer":
        from bench import live_consumer

        result = live_consumer.measure(servers, scale, repeat)
    else:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    result.seconds = time.perf_counter() - started
    return result


def run_all(
    servers: Servers,
    scale: float = 1.0,
    repeat: int = 3,
    only: Sequence[str] = BENCHMARKS,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every benchmark of `only`, in order, on `servers`; the results as a JSON-ready document."""
    document: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "repeat": repeat,
        "machine": machine() | (asyncio.run(server_versions(servers)) if not isinstance(servers, _NoServers) else {}),
        "benchmarks": {},
    }
    for name in only:
        say(f"running {name} (scale {scale:g}, {repeat} run(s))...")
        result = run_one(name, servers, scale, repeat)
        document["benchmarks"][name] = result.summary()
        say(table([result]))
    return document


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(results: Sequence[Result]) -> str:
    """Figures as a text table (min, median, max over the runs), then each target with its verdict."""
    lines = []
    width = max((len(f.name) for r in results for f in r.figures.values()), default=10) + 2
    lines.append(f"{'benchmark':10} {'figure':{width}} {'min':>10} {'median':>10} {'max':>10}  unit")
    for result in results:
        for figure in result.figures.values():
            s = figure.summary()
            lines.append(
                f"{result.benchmark:10} {figure.name:{width}} {_number(s['min']):>10} {_number(s['median']):>10} "
                f"{_number(s['max']):>10}  {figure.unit}"
            )
        for target in result.targets:
            t = target.summary()
            verdict = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
            ratio = f" ({t['ratio']:.2f} of the target)" if t["ratio"] is not None else ""
            lines.append(f"{'':10} target {t['name']}: {t['required']}, measured {t['measured']}: {verdict}{ratio}")
        lines.append(f"{'':10} ({result.seconds:.1f} s)")
    return "\n".join(lines)


def write(document: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=1.0, help="1: the full sizes (1,000,000 events replayed...)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (min/median/max)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS), help="these benchmarks")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the JSON goes (default {DEFAULT_OUT})")


def main(args: argparse.Namespace) -> int:
    if args.scale <= 0 or args.repeat < 1:
        print("duo bench: --scale must be positive and --repeat at least 1")
        return 2
    needs_servers = any(name != "matching" for name in args.only)
    with embedded_servers() if needs_servers else contextlib.nullcontext(_NoServers()) as servers:
        document = run_all(servers, args.scale, args.repeat, args.only)
    write(document, args.out)
    print(f"results written to {args.out}")
    return 0


class _NoServers:
    """For the matching round alone: no stack is started."""

    kafka_bootstrap = ""

    def database_url(self, database: str) -> str:
        raise RuntimeError("no servers: only the matching round runs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.runner", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
