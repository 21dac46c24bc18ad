"""`duo run --region NAME --branches B,B` and `duo run --federation NAME=HOME,...`: regions side by side, locally.

A region is a whole `duo run` (its own data folder, PostgreSQL, broker and four services) hosting the branches
given, so two regions run side by side as two `duo run`s with their own data folders and port offsets. The
federation is a third: the federation's reporting alone (no database), reading each region's figures topic on the
broker that region's data folder records, and verifying them against that region's event keyring (docs/adr/0028).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from devtool.supervise import Part, StopSignal, Supervisor
from shared.endpoints import read_endpoints

FEDERATION_HOME = ".duo-federation"


def region_environment(args: argparse.Namespace) -> None:
    """This process's environment (inherited by every service) for `--region`: the region's settings, and its own
    data folder, `.duo-<region>`, unless DUO_HOME names one."""
    if not args.region:
        if args.branches or args.other_regions:
            raise SystemExit("duo run: --branches and --other-regions need --region")
        return
    if not args.branches:
        raise SystemExit("duo run: --region needs --branches, the branches it hosts (e.g. BE,NL)")
    os.environ["DUO_REGION"] = args.region
    os.environ["DUO_REGION_BRANCHES"] = args.branches
    if args.other_regions:
        os.environ["DUO_OTHER_REGIONS"] = args.other_regions
    os.environ.setdefault("DUO_HOME", f".duo-{args.region}")
    from shared.config import ConfigurationError, PlatformEnvironment

    try:
        region = PlatformEnvironment.from_environ().region()
    except ConfigurationError as err:
        raise SystemExit(f"duo run: {err}") from None
    from devtool.branch_move.hosting import record_region

    record_region(Path(os.environ["DUO_HOME"]), region)  # what a branch's move checks (duo branch move)


def federation_settings(regions: str, home: Path) -> dict[str, str]:
    """The federation's settings for `west=HOME,fr=HOME`: each region's broker as its data folder records it, and a
    link to each region's keyring in this data folder's `federation-keyrings/`."""
    keyrings = home / "federation-keyrings"
    keyrings.mkdir(parents=True, exist_ok=True)
    bootstraps = []
    for entry in filter(None, (e.strip() for e in regions.split(","))):
        name, _, region_home = entry.partition("=")
        endpoints = read_endpoints(Path(region_home).resolve()) if region_home else None
        if not name or endpoints is None:
            raise SystemExit(f"duo run --federation: {entry!r}: start region {name or '?'} first (no infra.json there)")
        link = keyrings / f"{name}.json"
        link.unlink(missing_ok=True)
        link.symlink_to(Path(region_home).resolve() / "event-keys" / "keyring.json")
        bootstraps.append(f"{name}={endpoints.kafka_bootstrap}")
    return {
        "DUO_HOME": str(home),
        "DUO_FEDERATION_REGIONS": ";".join(bootstraps),
        "DUO_FEDERATION_KEYRINGS_DIR": str(keyrings),
    }


def run_federation(
    args: argparse.Namespace,
    port: int,
    start: Callable[[int, dict[str, str]], subprocess.Popen],
    wait_healthy: Callable[[subprocess.Popen, StopSignal], None],
) -> int:
    """The federation's reporting on `port`, supervised like a service of `duo run` (restarted alone if it exits):
    `start` starts it with an environment, `wait_healthy` waits until it answers (both cli_services')."""
    stop = StopSignal()
    home = Path(os.environ.get("DUO_HOME", FEDERATION_HOME)).resolve()
    env = {**os.environ, **federation_settings(args.federation, home)}
    child = {"process": start(port, env)}
    try:
        wait_healthy(child["process"], stop)
        print("\nDUO federation is running (Ctrl-C stops it):", flush=True)
        print(f"  federation http://127.0.0.1:{port}/figures   (regions: {env['DUO_FEDERATION_REGIONS']})", flush=True)
        print(f"  dashboard  http://127.0.0.1:{port}/dashboard", flush=True)
        print(f"  a token:   DUO_HOME={home} ./duo token issue --role federation", flush=True)
        if args.exit_when_ready:
            return 0

        def problem() -> str | None:
            code = child["process"].poll()
            return None if code is None else f"exited with code {code}"

        def restart() -> None:
            child["process"] = start(port, env)

        def say(line: str) -> None:
            print(f"duo run: {line}", file=sys.stderr, flush=True)

        supervisor = Supervisor([Part("federation", problem, restart)], say)
        while not stop.wait(0.5):
            supervisor.tick()
        return 0
    finally:
        child["process"].terminate()
        try:
            child["process"].wait(15)
        except subprocess.TimeoutExpired:
            child["process"].kill()


def add_region_arguments(run: argparse.ArgumentParser) -> None:
    """The region and federation options of `duo run`."""
    run.add_argument("--region", help="run as this region (its data folder .duo-REGION unless DUO_HOME is set)")
    run.add_argument("--branches", help="with --region: the branches it hosts, e.g. BE,NL")
    run.add_argument("--other-regions", help="with --region: where the others are, e.g. fr=FR (named in refusals)")
    run.add_argument(
        "--federation",
        help="run the federation's reporting alone over these regions' data folders, e.g. west=.duo-west,fr=.duo-fr",
    )
