"""`duo demo --regions`: two regions and a federation, each a `duo run` of its own under the demo's folder.

Region west hosts BE and runs the memorandum's plan (or `--scenario`); region fr hosts NL and FR and runs the NL/FR
scenario (devtool/demo/scenarios/nl-fr-2024-2027.toml), both at `--scale`, both programmes at once, each on its own
simulated calendar. Once reporting counted every duo in both, both calendars move to the day after the quarter their
programmes ended in, each region publishes that quarter to its federation topic at its next beat, and the command
prints the federation's roll-up of it, per branch and in total, beside each region's own publication, and says
whether the roll-up is their sum (exit code 1 when not).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from devtool.demo.platform import Platform, launch, ready, report_lines, settled, stop, token

WEST, OTHER = ("west", "BE"), ("fr", "NL,FR")  # (region, branches it hosts)
OTHER_SCENARIO = "nl-fr-2024-2027.toml"
PORTS_APART = 10  # fr's services answer 10 ports above west's; the federation at west's offset + 8005
FEED_INTERVAL_S = "2"  # each region sends its figures every 2 s, not 60: a demo's quarters pass in seconds
PUBLISHED_WITHIN_S = 300  # after the calendars moved: a beat of each region, and the federation reading both
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
HIDDEN = "-"


def _quarter_end(day: date) -> date:
    """The end of the quarter `day` is in."""
    return next(date(day.year, month, last) for month, last in QUARTER_ENDS if date(day.year, month, last) >= day)


def rollup_differences(across: dict, own: dict[str, dict]) -> list[str]:
    """Where the federation's roll-up is not what the regions published: each branch's row against its region's
    own, and each total against the sum of the regions' totals (hidden, None, when one of them is)."""
    differences = []
    for region, figures in own.items():
        for branch, row in figures["by_branch"].items():
            shown = {k: v for k, v in across["by_branch"].get(branch, {}).items() if k != "region"}
            differences += [
                f"{branch} {headline}: federation {shown.get(headline)}, region {region} {count}"
                for headline, count in row.items()
                if shown.get(headline) != count
            ]
    for headline, total in across["total"].items():
        if headline.endswith("_rate"):
            continue  # a rate follows from the counts compared
        parts = [figures["total"][headline] for figures in own.values()]
        expected = None if None in parts else sum(parts)
        if total != expected:
            differences.append(f"total {headline}: federation {total}, the regions' sum {expected}")
    return differences


def rollup_lines(across: dict, own: dict[str, dict]) -> list[str]:
    """The roll-up's counts per branch (the federation's), each region's own total, their sum and the federation's
    total, a headline a line; "-" where a count is hidden (small, or the complement of one)."""
    branches = sorted(across["by_branch"])
    headlines = [h for h in across["total"] if not h.endswith("_rate")]
    columns = [f"{b} ({across['by_branch'][b]['region']})" for b in branches]
    columns += [*own, "+".join(own), "federation"]
    lines = [f"  {'':18}" + "".join(f"{c:>12}" for c in columns)]
    for headline in headlines:
        totals = [figures["total"][headline] for figures in own.values()]
        cells = [across["by_branch"][b][headline] for b in branches]
        cells += [*totals, None if None in totals else sum(totals), across["total"][headline]]
        lines.append(f"  {headline:18}" + "".join(f"{HIDDEN if c is None else c:>12}" for c in cells))
    return lines


def _progress(name: str, shares: dict[str, tuple[str, float]]):
    """A progress callback for region `name`'s simulator: one line for both regions."""

    def show(what: str, share: float) -> None:
        shares[name] = (what, share)
        line = "   ".join(f"{n} {s:4.0%} {w}" for n, (w, s) in sorted(shares.items()))
        print(f"\r  {line}", end="", file=sys.stderr, flush=True)

    return show


def _federation(home: Path, homes: dict[str, Path], port_offset: int) -> tuple[subprocess.Popen, str]:
    """The federation's `duo run` (data in `home`), over the regions' data folders, once it answers."""
    from devtool.cli_services import DEFAULT_PORTS, FEDERATION, wait_healthy

    home.mkdir(parents=True, exist_ok=True)
    regions = ",".join(f"{name}={path}" for name, path in homes.items())
    process = subprocess.Popen(
        [sys.executable, "-m", "devtool.cli", "run", "--federation", regions, "--port-offset", str(port_offset)],
        env={**os.environ, "DUO_HOME": str(home), "LOG_LEVEL": "WARNING"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{DEFAULT_PORTS[FEDERATION] + port_offset}"
    wait_healthy(FEDERATION, url, 120, process)
    return process, url


def _published(url: str, headers: dict[str, str], quarter: date) -> dict:
    """The federation's roll-up once it shows `quarter` from every region, none stale."""
    deadline, seen = time.monotonic() + PUBLISHED_WITHIN_S, "no answer"
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/figures", headers=headers, timeout=30)
            figures = answer.json() if answer.status_code == 200 else {}
            seen = f"{answer.status_code}: publication {figures.get('publication')}, complete {figures.get('complete')}"
            fresh = figures and not any(r["stale"] for r in figures["regions"].values())
            if figures.get("publication") == quarter.isoformat() and figures["complete"] and fresh:
                return figures
        except httpx.TransportError as err:
            seen = str(err)
        time.sleep(1)  # a poll of the federation, bounded by the deadline above: no event says "published"
    raise RuntimeError(
        f"the federation did not show the quarter ending {quarter} within {PUBLISHED_WITHIN_S} s: {seen}"
    )


async def _programmes(simulators: dict, platforms: dict[str, Platform]) -> tuple[dict, dict]:
    """Both regions' programmes at once, then each region's reporting once it counted every duo of its own."""
    results = dict(zip(simulators, await asyncio.gather(*(s.run() for s in simulators.values())), strict=True))
    print(file=sys.stderr)
    counted = [
        settled(platforms[name].urls, platforms[name].funders(), results[name], platforms[name].scrape_token())
        for name in simulators
    ]
    return results, dict(zip(simulators, await asyncio.gather(*counted), strict=True))


def _own_publication(platform: Platform, quarter: date) -> dict:
    """The region's own publication of the quarter, as its reporting answers a federation token of its own key."""
    headers = {"Authorization": f"Bearer {token(platform.home, 'federation', None)}"}
    url, day = f"{platform.urls['reporting']}/figures", quarter.isoformat()
    answer = httpx.get(url, headers=headers, params={"as_of": day}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def run_regions(args: argparse.Namespace, west_scenario, root: Path) -> int:
    """The two regions' programmes and the federation's roll-up: exit code 0 when the roll-up is the regions' sum."""
    from devtool.demo.scenario import load
    from devtool.demo.simulator import Simulator

    other_scenario = load(packaged=OTHER_SCENARIO)
    assert west_scenario.branches == [WEST[1]], "duo demo refuses a scenario of another branch"
    shutil.rmtree(root, ignore_errors=True)
    plan = {WEST[0]: (west_scenario, WEST[1], OTHER), OTHER[0]: (other_scenario, OTHER[1], WEST)}
    platforms: dict[str, Platform] = {}
    federation = None
    try:
        print(f"duo demo --regions: starting regions west (BE) and fr (NL, FR) in {root} ...", file=sys.stderr)
        for index, (name, (scenario, branches, (other, theirs))) in enumerate(plan.items()):
            platforms[name] = launch(
                root / name,
                scenario.first_year,
                args.port_offset + index * PORTS_APART,
                *("--region", name, "--branches", branches, "--other-regions", f"{other}={theirs}"),
                DUO_FEDERATION_FEED_INTERVAL_S=FEED_INTERVAL_S,
            )
        for name, platform in platforms.items():
            ready(platform, plan[name][0].branches)
        federation_home = root / "federation"
        homes = {name: platform.home for name, platform in platforms.items()}
        federation, federation_url = _federation(federation_home, homes, args.port_offset)
        shares: dict[str, tuple[str, float]] = {}
        simulators = {
            name: Simulator(
                plan[name][0], args.scale, p.urls, p.tokens, p.clock_file, _progress(name, shares), args.seed
            )
            for name, p in platforms.items()
        }
        started = time.monotonic()
        results, reports = asyncio.run(_programmes(simulators, platforms))
        seconds = time.monotonic() - started
        for name, (scenario, branches, _) in plan.items():
            result = results[name]
            print(
                f"\nRegion {name} ({branches}): '{scenario.name}' at scale {args.scale}, "
                f"{sum(result.formed.values())} duos formed, {result.duos_ended} ended "
                f"({result.requests} API calls, {seconds:.0f} s for both regions)"
            )
        west = reports[WEST[0]]
        lines = report_lines(west["figures"][WEST[1]], west["plan"], results[WEST[0]], west_scenario, args.scale)
        print("\n".join(lines))

        # Both calendars to the day after the quarter the programmes ended in: each region publishes it.
        quarter = _quarter_end(max(s.today for s in simulators.values()))
        for simulator in simulators.values():
            simulator.set_clock(quarter + timedelta(days=1))
        federation_token = {"Authorization": f"Bearer {token(federation_home, 'federation', None)}"}
        across = _published(federation_url, federation_token, quarter)
        own = {name: _own_publication(platform, quarter) for name, platform in platforms.items()}
        print(
            f"\nThe federation's roll-up of the quarter ending {quarter}, beside each region's own publication "
            f"({HIDDEN}: hidden, a count or a change since an earlier quarter's publication of 1 to 4, or a complement "
            "of one; docs/adr/0025):\n"
        )
        print("\n".join(rollup_lines(across, own)))
        differences = rollup_differences(across, own)
        verdict = "equal" if not differences else "DIFFERENT:\n" + "\n".join(f"    {d}" for d in differences)
        print(f"\n  the roll-up against the regions' own figures, each branch and the sum of the totals: {verdict}")
        code = 1 if differences else 0
        if args.no_serve:
            return code
        print("\nThe regions and the federation stay up with the demo's data (Ctrl-C stops them):")
        for name, platform in platforms.items():
            print(f"  region {name:5} {platform.urls['reporting']}/dashboard   (data in {platform.home})")
        print(f"  federation   {federation_url}/dashboard#token={federation_token['Authorization'][7:]}")
        federation.wait()
        return code
    finally:
        if federation is not None:
            stop(federation)
        for platform in platforms.values():
            stop(platform.process)
