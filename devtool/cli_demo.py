"""`duo demo`: the platform on its own data folder and a simulated calendar, a whole programme run through
the four services' HTTP APIs, and the memorandum's plan given back from the event log."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

DEMO_HOME = ".duo-demo"  # its own data folder: a demo never mixes with the data of `duo run`
PORT_OFFSET = 100  # 8101..8104: a demo can run next to `duo run`
SERVICES = ("intake", "matching", "tracking", "reporting")
EVERY_S = (8.0, 15.0)  # a chaos run's pause before each kill, drawn in this range


def _bar(what: str, share: float) -> None:
    done = int(share * 30)
    print(f"\r  [{'#' * done}{'.' * (30 - done)}] {share:4.0%}  {what}", end="", file=sys.stderr, flush=True)


def _tokens(home: Path) -> dict[str, str]:
    from shared.auth.identity import Identity, Role
    from shared.auth.keys import ensure_key_pair
    from shared.auth.tokens import issue_token
    from shared.tenancy import Tenant

    key, now = ensure_key_pair(home).private_pem, datetime.now(UTC)
    # Valid in real time for a day: the simulated calendar moves the events' dates, not the tokens' validity.
    return {
        role.value: issue_token(
            key, Identity(f"demo-{role.value.replace('_', '-')}", role, Tenant.BE), timedelta(days=1), now
        )
        for role in (Role.COORDINATOR, Role.FUNDER, Role.AUDITOR)
    }


def _wait_ready(urls: dict[str, str], platform: subprocess.Popen, deadline_s: float = 180) -> None:
    from devtool.processes import poll_until

    deadline = time.monotonic() + deadline_s
    for service, url in urls.items():

        def answers(service: str = service, url: str = url) -> bool:
            if platform.poll() is not None:
                raise RuntimeError(f"the platform stopped while starting (exit code {platform.returncode})")
            try:
                return bool(httpx.get(f"{url}/health", timeout=2).json().get("service") == service)
            except (httpx.HTTPError, ValueError):
                return False

        poll_until(answers, max(deadline - time.monotonic(), 0), f"{service} starting", interval_s=0.3)


async def _settled(
    urls: dict[str, str],
    tokens: dict[str, str],
    result,
    stalled_s: float = 300,
    every_s: float = 1,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict:
    """Reporting's figures once it counted every duo formed and ended. It reads Kafka behind the simulation, at the
    default scale on a loaded machine minutes behind (10:49 run of 2026-12-06: the last end applied 5 minutes after
    the simulation's), so the wait lasts while its figures keep moving and gives up only when they stood still for
    `stalled_s`; a reporting restarting (a chaos run's last kill) is waited for like a lag."""
    headers = {"Authorization": f"Bearer {tokens['funder']}"}
    wanted = f"{sum(result.formed.values())} formed and {result.duos_ended} ended"
    seen, last, moved = "no answer", None, time.monotonic()
    async with httpx.AsyncClient(timeout=120, transport=transport) as client:
        while time.monotonic() - moved < stalled_s:
            try:
                answer = await client.get(f"{urls['reporting']}/figures", headers=headers)
                if answer.status_code == 200:
                    figures = answer.json()["figures"]
                    if figures != last:
                        last, moved = figures, time.monotonic()
                    formed, ended = figures["duos_formed"], figures["positive_exit"]["denominator"]
                    seen = f"{formed} duos formed and {ended} ended"
                    if formed == sum(result.formed.values()) and ended == result.duos_ended:
                        plan = await client.get(f"{urls['reporting']}/plan", headers=headers)
                        if plan.status_code == 200:
                            return {"figures": figures, "plan": plan.json()}
            except httpx.TransportError:
                pass  # restarting
            await asyncio.sleep(every_s)
    raise RuntimeError(f"reporting counted {seen}, not {wanted}, and its figures stood still for {stalled_s:g} s")


def _report_lines(report: dict, result, scenario, scale: float) -> list[str]:
    """The programme as reporting gives it back: the same lines for the same seed, whatever failed underneath."""
    from devtool.demo.scenario import ROUNDING_RULE

    f, plan = report["figures"], report["plan"]
    scaled = f"x {scale:g}"
    lines = [f"  {'area':16} {'year':>9} {'planned':>8} {scaled:>8} {'formed':>7}"]
    for row in plan["rows"]:
        year = row["year"]
        wanted = (
            result.target.get((row["area"], year))
            if isinstance(year, int)
            else sum(v for (a, _), v in result.target.items() if a == row["area"])
        )
        if row["area"] == "Flanders":
            wanted = sum(
                v for (a, y), v in result.target.items() if a != "Brussels" and (y == year or not isinstance(year, int))
            )
        lines.append(f"  {row['area']:16} {year!s:>9} {row['planned']:>8} {wanted!s:>8} {row['formed']:>7}")
    lines += [
        f"  planned: the memorandum's plan; {scaled}: the scenario's duos at scale {scale:g}, the run's targets,",
        f"  rounded by {ROUNDING_RULE}",
        "",
        "  outcomes (definitions as stated by reporting):",
    ]
    for name in ("positive_exit", "sustainable_work", "mentor_retention"):
        item = f[name]
        rate = f"{item['rate']:.0%}" if item["rate"] is not None else "-"
        lines.append(f"    {name:18} {rate:>5}  ({item['numerator']} of {item['denominator']}; {item['definition']})")
    lines.append(_retention_against_the_scenario(f["mentor_retention"], scenario.probabilities.mentor_continues))
    lines.append(f"    {'time to match':18} median {f['time_to_match']['median_days']} days")
    for question, answer in f["surveys"].items():
        lines.append(f"    {question:45} {answer['rate']:.0%}")
    cost = plan["cost_per_duo_eur"]["overall"]
    lines += [
        "",
        f"  cost per duo (plan): EUR {cost['cost_per_duo_eur']:,} ({cost['budget_eur']:,} / {cost['planned_duos']:,})",
    ]
    jobs, euros = plan["return"]["sustainable_jobs"], plan["return"]["eur_per_year"]
    lines.append(f"  yearly return of {jobs} sustainable jobs: EUR {euros:,}")
    return lines


def _retention_against_the_scenario(retention: dict, p: float) -> str:
    """Mentor retention beside the scenario's rate: how many binomial standard deviations (of the base) apart."""
    window = retention.get("observation_window_months")
    base = retention["denominator"]
    stated = f"      observation window {window} months; " if window else "      "
    if not base or retention["rate"] is None:
        return stated + f"scenario's rate {p:.0%}; no mentor in the base yet"
    sd = math.sqrt(p * (1 - p) / base)
    off = (retention["numerator"] / base - p) / sd if sd else 0.0
    return stated + f"scenario's rate {p:.0%}, standard deviation {sd:.2%} of {base}: {off:+.1f} sd"


def _record_of(home: Path, scenario, scale: float, seed: int) -> Path:
    """Where a clean run's figures are kept for chaos runs to compare with: next to the demo's data folder,
    which every run empties, under a name of the scenario's content, the scale and the seed."""
    digest = hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:12]
    return home.parent / f"{home.name}-figures" / f"{scenario.name}-{digest}-scale{scale}-seed{seed}.txt"


def _programme(scenario, args: argparse.Namespace, home: Path, chaos_seed: int | None, serve: bool) -> tuple:
    """One whole programme on a fresh platform: (its figure lines, the kills or None, exit code)."""
    from devtool.demo.chaos import PARTS, Chaos, platform_pids
    from devtool.demo.simulator import Simulator
    from devtool.simulated_clock import SIMULATED_CLOCK_VARIABLE

    shutil.rmtree(home, ignore_errors=True)  # a demo starts from an empty programme
    home.mkdir(parents=True)
    clock_file = home / "simulated-clock"
    clock_file.write_text(datetime(scenario.first_year, 1, 1, 9, tzinfo=UTC).isoformat())
    env = {**os.environ, "DUO_HOME": str(home), SIMULATED_CLOCK_VARIABLE: str(clock_file), "LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    urls = {s: f"http://127.0.0.1:{8001 + i + args.port_offset}" for i, s in enumerate(SERVICES)}
    print(f"duo demo: starting the platform (data in {home}) ...", file=sys.stderr, flush=True)
    platform = subprocess.Popen(
        [sys.executable, "-m", "devtool.cli", "run", "--port-offset", str(args.port_offset)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_ready(urls, platform)
        tokens = _tokens(home)
        seed = args.seed or scenario.seed
        what = "clean" if chaos_seed is None else f"killing parts ({args.chaos_parts}; chaos seed {chaos_seed})"
        print(
            f"duo demo: running '{scenario.name}' at scale {args.scale} (seed {seed}), {what}",
            file=sys.stderr,
            flush=True,
        )
        started = time.monotonic()
        simulator = Simulator(scenario, args.scale, urls, tokens, clock_file, _bar, args.seed)
        chaos = None
        if chaos_seed is not None:
            chaos = Chaos(
                chaos_seed, PARTS[args.chaos_parts], lambda: platform_pids(platform.pid, home), args.chaos_every
            )
            chaos.start()
        try:
            result = asyncio.run(simulator.run())
        finally:
            kills = chaos.stop() if chaos is not None else None
        print(file=sys.stderr)
        report = asyncio.run(_settled(urls, tokens, result))
        seconds = time.monotonic() - started
        retried = f", {result.retries} retried" if result.retries else ""
        print(
            f"\nThe programme, given back by reporting from the event log ({result.requests} API calls{retried}, "
            f"{seconds:.0f} s):\n"
        )
        lines = _report_lines(report, result, scenario, args.scale)
        print("\n".join(lines))
        rebuilt = subprocess.run(
            [sys.executable, "-m", "devtool.cli", "projection", "rebuild", "reporting"],
            env=env,
            capture_output=True,
            text=True,
        )
        verdict = [line for line in rebuilt.stdout.splitlines() if "rebuilt figures" in line]
        lines += ["", f"  projection rebuild: {verdict[-1] if verdict else rebuilt.stderr.strip()[-300:]}"]
        print(lines[-1])
        if chaos_seed is None:
            record = _record_of(home, scenario, args.scale, seed)
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text("\n".join(lines) + "\n")
        if not serve:
            return lines, kills, 0 if rebuilt.returncode == 0 else 1
        print("\nThe platform stays up with the demo's data (Ctrl-C stops it):")
        for service, url in urls.items():
            print(f"  {service:10} {url}/docs")
        print(f"  dashboard  {urls['reporting']}/dashboard#token={tokens['funder']}")
        print(f"  a token:   DUO_HOME={home} ./duo token issue --branch BE --role funder")
        platform.wait()
        return lines, kills, 0
    finally:
        if platform.poll() is None:
            platform.send_signal(signal.SIGTERM)
            try:
                platform.wait(timeout=60)
            except subprocess.TimeoutExpired:
                platform.kill()


def _demo(args: argparse.Namespace) -> int:
    from devtool.demo.chaos import compare, describe
    from devtool.demo.scenario import ScenarioError, load

    try:
        scenario = load(Path(args.scenario) if args.scenario else None)
    except (ScenarioError, OSError) as err:
        print(f"duo demo: {err}", file=sys.stderr)
        return 2
    home = Path(os.environ.get("DUO_DEMO_HOME", DEMO_HOME)).resolve()
    try:
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
        help="seconds between kills, drawn in this range (default 8-15)",
    )
    demo.add_argument("--chaos-seed", type=int, help="which parts are killed when (default: a new draw, printed)")
    demo.add_argument(
        "--chaos-parts",
        choices=("services", "all"),
        default="all",
        help="the four services, or also broker and PostgreSQL",
    )
    demo.set_defaults(handler=_demo)
