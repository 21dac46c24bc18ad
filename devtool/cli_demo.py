"""`duo demo`: the platform on its own data folder and a simulated calendar, a whole programme run through
the four services' HTTP APIs, and the memorandum's plan given back from the event log."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from devtool.demo.platform import launch, ready, report_lines, settled, stop

DEMO_HOME = ".duo-demo"  # its own data folder: a demo never mixes with the data of `duo run`
PORT_OFFSET = 100  # 8101..8104: a demo can run next to `duo run`
EVERY_S = (8.0, 15.0)  # a chaos run's pause before each kill, drawn in this range
HEAL_WAIT_S = 180  # how long a kill made after the programme's end may wait for the platform to be whole again


def _bar(what: str, share: float) -> None:
    done = int(share * 30)
    print(f"\r  [{'#' * done}{'.' * (30 - done)}] {share:4.0%}  {what}", end="", file=sys.stderr, flush=True)


def _record_of(home: Path, scenario, scale: float, seed: int) -> Path:
    """Where a clean run's figures are kept for chaos runs to compare with: next to the demo's data folder,
    which every run empties, under a name of the scenario's content, the scale and the seed."""
    digest = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:12]
    return home.parent / f"{home.name}-figures" / f"{scenario.name}-{digest}-scale{scale}-seed{seed}.txt"


def _programme(scenario, args: argparse.Namespace, home: Path, chaos_seed: int | None, serve: bool) -> tuple:
    """One whole programme on a fresh platform: (its figure lines, the kills or None, exit code)."""
    from devtool.demo.chaos import PARTS, Chaos, platform_pids, whole
    from devtool.demo.profile import (
        POSTGRES_SETTINGS_VARIABLE,
        PROFILE_SETTINGS,
        CpuSampler,
        admin_url_of,
        call_lines,
        reset_statements,
        statements,
    )
    from devtool.demo.profile import report as profile_lines
    from devtool.demo.simulator import Simulator

    print(f"duo demo: starting the platform (data in {home}) ...", file=sys.stderr, flush=True)
    profiling = getattr(args, "profile", False) and chaos_seed is None
    # Settings of one's own (such as auto_explain beside pg_stat_statements) replace the profile's.
    settings = {POSTGRES_SETTINGS_VARIABLE: os.environ.get(POSTGRES_SETTINGS_VARIABLE, PROFILE_SETTINGS)}
    settings = settings if profiling else {}
    launched = time.monotonic()
    platform = launch(home, scenario.first_year, args.port_offset, **settings)
    urls, tokens = platform.urls, platform.tokens
    try:
        ready(platform, scenario.branches)
        seed = args.seed or scenario.seed
        what = "clean" if chaos_seed is None else f"killing parts ({args.chaos_parts}; chaos seed {chaos_seed})"
        print(
            f"duo demo: running '{scenario.name}' at scale {args.scale} (seed {seed}), {what}",
            file=sys.stderr,
            flush=True,
        )
        sampler = None
        if profiling:
            asyncio.run(reset_statements(admin_url_of(home)))
            sampler = CpuSampler(lambda: platform_pids(platform.process.pid, home))
            sampler.start()
        started = time.monotonic()
        phases = {"start (to every service answering)": started - launched}
        simulator = Simulator(scenario, args.scale, urls, tokens, platform.clock_file, _bar, args.seed)
        chaos = None
        if chaos_seed is not None:

            def pids() -> dict[str, int]:
                return platform_pids(platform.process.pid, home)

            healed = whole(pids, PARTS["all"], urls)
            chaos = Chaos(chaos_seed, PARTS[args.chaos_parts], pids, args.chaos_every, healed=healed)
            chaos.start()
        try:
            result = asyncio.run(simulator.run())
            if chaos is not None:
                # Each missing kill may wait for a whole platform (a slow restart) and then a pause.
                chaos.at_least(args.chaos_kills, args.chaos_kills * (args.chaos_every[1] + HEAL_WAIT_S))
        finally:
            kills = chaos.stop() if chaos is not None else None
        print(file=sys.stderr)
        phases["simulation"] = time.monotonic() - started
        report = asyncio.run(settled(urls, platform.funders(), result, platform.scrape_token()))
        seconds = time.monotonic() - started
        phases["reporting settling"] = seconds - phases["simulation"]
        profile = []
        if sampler is not None:
            cpu = sampler.stop()
            seen = asyncio.run(statements(admin_url_of(home)))
            profile = profile_lines(cpu, seen, result.requests)
            profile += ["", *call_lines(result.tries, sum(result.formed.values()), result.waits)]
            # Every statement in full, beside the demo's folder (which the next run empties), to compare runs.
            kept = home.parent / f"{home.name}-profile.json"
            kept.write_text(json.dumps({"requests": result.requests, "cpu": cpu, "statements": seen}, default=str))
            profile.append(f"\n  (every statement: {kept})")
        retried = f", {result.retries} retried" if result.retries else ""
        print(
            f"\nThe programme, given back by reporting from the event log ({result.requests} API calls{retried}, "
            f"{seconds:.0f} s):\n"
        )
        # The scenario's first branch (the memorandum's: BE), whose plan reporting states.
        figures = report["figures"][scenario.branches[0]]
        lines = report_lines(figures, report["plan"], result, scenario, args.scale)
        print("\n".join(lines))
        rebuilt = subprocess.run(
            [sys.executable, "-m", "devtool.cli", "projection", "rebuild", "reporting"],
            env=platform.env,
            capture_output=True,
            text=True,
        )
        phases["rebuild"] = time.monotonic() - started - seconds
        if sampler is not None:
            profile += ["", "Wall time by phase:", *(f"  {what:36} {s:7.1f} s" for what, s in phases.items())]
        verdict = [line for line in rebuilt.stdout.splitlines() if "rebuilt figures" in line]
        lines += ["", f"  projection rebuild: {verdict[-1] if verdict else rebuilt.stderr.strip()[-300:]}"]
        print(lines[-1])
        if profile:
            print("\n" + "\n".join(profile))
        if chaos_seed is None:
            record = _record_of(home, scenario, args.scale, seed)
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text("\n".join(lines) + "\n")
        if not serve:
            return lines, kills, 0 if rebuilt.returncode == 0 else 1
        print("\nThe platform stays up with the demo's data (Ctrl-C stops it):")
        for service, url in urls.items():
            print(f"  {service:10} {url}/docs")
        branch = scenario.branches[0]
        print(f"  dashboard  {urls['reporting']}/dashboard#token={tokens[branch]['funder']}")
        print(f"  a token:   DUO_HOME={home} ./duo token issue --branch {branch} --role funder")
        platform.process.wait()
        return lines, kills, 0
    finally:
        stop(platform.process)


def _demo(args: argparse.Namespace) -> int:
    from devtool.demo.chaos import compare, describe
    from devtool.demo.scenario import ScenarioError, load

    if args.regions and args.chaos:
        print("duo demo: --regions runs no chaos (kill parts of one `duo demo` instead)", file=sys.stderr)
        return 2
    try:
        scenario = load(Path(args.scenario) if args.scenario else None)
    except (ScenarioError, OSError) as err:
        print(f"duo demo: {err}", file=sys.stderr)
        return 2
    if scenario.branches != ["BE"]:  # the plan reporting states, and prints beside the duos formed, is BE's
        planned = ", ".join(scenario.branches)
        print(
            f"duo demo: the scenario plans areas of {planned}; a scenario here plans BE's (--regions runs NL and "
            "FR's programme in a region of their own)",
            file=sys.stderr,
        )
        return 2
    home = Path(os.environ.get("DUO_DEMO_HOME", DEMO_HOME)).resolve()
    try:
        if args.regions:
            from devtool.cli_demo_regions import run_regions

            return run_regions(args, scenario, home)
        if not args.chaos:
            return _programme(scenario, args, home, None, not args.no_serve)[2]
        record = _record_of(home, scenario, args.scale, args.seed or scenario.seed)
        if not record.exists():
            print("duo demo --chaos: no clean run of this seed recorded yet: running one first", file=sys.stderr)
            if _programme(scenario, args, home, None, False)[2] != 0:
                return 1
        clean = record.read_text().splitlines()
        chaos_seed = args.chaos_seed if args.chaos_seed is not None else random.SystemRandom().randrange(10**6)
        lines, kills, code = _programme(scenario, args, home, chaos_seed, not args.no_serve)
        print(f"\n  chaos (seed {chaos_seed}): {len(kills)} kills\n{describe(kills)}")
        differences = compare(clean, lines)
        if differences:
            print("\n  figures DIFFER from the clean run's:\n" + "\n".join(f"    {d}" for d in differences))
            return 1
        print("\n  figures identical to the clean run's, line for line")
        return code
    except KeyboardInterrupt:
        return 130


def _pause_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    try:
        pauses = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds as MIN-MAX, such as 8-15") from None
    if not 0 < pauses[0] <= pauses[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: MIN must be above 0 and at most MAX")
    return pauses


def add_demo_command(sub: argparse._SubParsersAction) -> None:
    """Add `duo demo` to the `duo` parser."""
    demo = sub.add_parser("demo", help="run a realistic programme through the services and report it back")
    demo.add_argument("--scenario", help="a scenario file (TOML; default: the memorandum's 2024-27 plan)")
    demo.add_argument("--scale", type=float, default=1.0, help="fewer or more duos: 0.05 is a quick run")
    demo.add_argument("--seed", type=int, help="another random seed (default: the scenario's)")
    demo.add_argument("--port-offset", type=int, default=PORT_OFFSET, help="services on 8001+N .. 8004+N")
    demo.add_argument("--no-serve", action="store_true", help="stop everything when the report is printed")
    demo.add_argument(
        "--regions",
        action="store_true",
        help="two regions, west (BE: the scenario) and fr (NL, FR: an NL/FR scenario), and a federation; prints the "
        "federation's roll-up beside each region's own figures",
    )
    demo.add_argument(
        "--chaos",
        action="store_true",
        help="kill parts of the platform (SIGKILL) while the programme runs, then compare the figures with a "
        "clean run's of the same seed (run first when none is recorded)",
    )
    demo.add_argument(
        "--chaos-every",
        type=_pause_range,
        default=EVERY_S,
        metavar="MIN-MAX",
        help="seconds between kills, drawn in this range, each counted from when the platform is whole again "
        "(every part back, every service reaching its database and broker; default 8-15)",
    )
    demo.add_argument(
        "--profile",
        action="store_true",
        help="print where the run's CPU went: by process, and PostgreSQL's statements (pg_stat_statements, this run)",
    )
    demo.add_argument(
        "--chaos-kills",
        type=int,
        default=0,
        metavar="N",
        help="at least N kills: when the programme is over first, the kills go on (same pauses) before its figures "
        "are read (default 0)",
    )
    demo.add_argument("--chaos-seed", type=int, help="which parts are killed when (default: a new draw, printed)")
    demo.add_argument(
        "--chaos-parts",
        choices=("services", "all"),
        default="all",
        help="the four services, or also broker and PostgreSQL",
    )
    demo.set_defaults(handler=_demo)
