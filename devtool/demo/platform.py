"""A demo's platform: a `duo run` on a data folder of its own and a simulated calendar (a region's, with --region),
its tokens, the wait for reporting to count a whole programme, and the programme's lines as reporting gives it back.
Used by `duo demo` (devtool/cli_demo.py) and `duo demo --regions` (devtool/cli_demo_regions.py)."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

SERVICES = ("intake", "matching", "tracking", "reporting")


def token(home: Path, role: str, branch: str | None) -> str:
    """A token of `role` (for `branch`; None: the federation's) signed with the data folder's key, valid in real
    time for a day: the simulated calendar moves the events' dates, not the tokens' validity."""
    from shared.auth.identity import Identity, Role
    from shared.auth.keys import ensure_key_pair
    from shared.auth.tokens import issue_token
    from shared.tenancy import Tenant

    identity = Identity(f"demo-{role.replace('_', '-')}", Role(role), Tenant(branch) if branch else None)
    return issue_token(ensure_key_pair(home).private_pem, identity, timedelta(days=1), datetime.now(UTC))


@dataclass
class Platform:
    """A demo's `duo run` (a region's, with --region): its process, data folder, simulated clock and services."""

    process: subprocess.Popen
    home: Path
    clock_file: Path
    env: dict[str, str]
    urls: dict[str, str]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # branch -> role -> token, once it is ready

    def funders(self) -> dict[str, str]:
        return {branch: roles["funder"] for branch, roles in self.tokens.items()}

    def scrape_token(self) -> str:
        """The token of the services' /metrics: the run's DUO_METRICS_TOKEN, or its data folder's."""
        from shared.scrape_token import configured_scrape_token

        return configured_scrape_token(self.env)


def launch(home: Path, first_year: int, port_offset: int, *run_args: str, **settings: str) -> Platform:
    """`duo run` on an emptied data folder and a simulated clock at the scenario's first day, not waited for."""
    from devtool.simulated_clock import SIMULATED_CLOCK_VARIABLE

    shutil.rmtree(home, ignore_errors=True)  # a demo starts from an empty programme
    home.mkdir(parents=True)
    clock_file = home / "simulated-clock"
    clock_file.write_text(datetime(first_year, 1, 1, 9, tzinfo=UTC).isoformat())
    env = {**os.environ, "DUO_HOME": str(home), SIMULATED_CLOCK_VARIABLE: str(clock_file), "LOG_LEVEL": "WARNING"}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.update(settings)
    urls = {s: f"http://127.0.0.1:{8001 + i + port_offset}" for i, s in enumerate(SERVICES)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtool.cli", "run", "--port-offset", str(port_offset), *run_args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    return Platform(process, home, clock_file, env, urls)


def ready(platform: Platform, branches: list[str]) -> None:
    """Wait until every service answers; then the tokens of each branch the scenario runs in."""
    _wait_ready(platform.urls, platform.process)
    roles = ("coordinator", "funder", "auditor")
    platform.tokens.update({b: {role: token(platform.home, role, b) for role in roles} for b in branches})


def stop(process: subprocess.Popen) -> None:
    """A `duo run` stopped as Ctrl-C stops it (it stops its servers), killed if it does not within a minute."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


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


PUBLISHERS = ("intake", "matching", "tracking")  # the services whose events reporting counts


async def settled(
    urls: dict[str, str],
    funders: Mapping[str, str],
    result,
    scrape_token: str,
    stalled_s: float = 300,
    every_s: float = 0.25,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict:
    """Reporting's figures once it counted every duo formed and ended and read every event the services published.
    It reads Kafka behind the simulation, at the default scale on a loaded machine minutes behind (10:49 run of
    2026-12-06: the last end applied 5 minutes after the simulation's), so the wait lasts while its figures or its
    lag keep moving and gives up only when they stood still for `stalled_s`; a reporting restarting (a chaos run's
    last kill) is waited for like a lag. The counts alone are not enough: reporting reads each service's events on
    a consumer of its own, and a mentor's withdrawal (intake) sent after the last ends (tracking) may still be on
    its way when the ends are counted, and moves mentor retention. `funders`: a funder's token of each branch the
    programme ran in (a region may host several), whose counts add up to the programme's; the figures come back by
    branch, the plan as the first branch's funder reads it. `scrape_token`: for reporting's /metrics."""
    wanted = f"{sum(result.formed.values())} formed and {result.duos_ended} ended"
    headers = {branch: {"Authorization": f"Bearer {funder}"} for branch, funder in funders.items()}
    seen, last, fewest, moved = "no answer", None, None, time.monotonic()
    async with httpx.AsyncClient(timeout=120, transport=transport) as client:
        while time.monotonic() - moved < stalled_s:
            try:
                figures = await _figures(client, urls, headers)
                if figures is not None:
                    if figures != last:
                        last, moved = figures, time.monotonic()
                    formed = sum(f["duos_formed"] for f in figures.values())
                    ended = sum(f["positive_exit"]["denominator"] for f in figures.values())
                    seen = f"{formed} duos formed and {ended} ended"
                    if formed == sum(result.formed.values()) and ended == result.duos_ended:
                        waiting = await _events_waiting(client, urls, scrape_token)
                        seen += f", {'unknown' if waiting is None else waiting} events still to read"
                        if waiting is not None and (fewest is None or waiting < fewest):
                            fewest, moved = waiting, time.monotonic()
                        if waiting == 0:
                            figures = await _figures(client, urls, headers)  # again: the last events now read
                            plan = await client.get(f"{urls['reporting']}/plan", headers=next(iter(headers.values())))
                            if figures is not None and plan.status_code == 200:
                                return {"figures": figures, "plan": plan.json()}
            except httpx.TransportError:
                pass  # restarting
            await asyncio.sleep(every_s)
    raise RuntimeError(f"reporting counted {seen}, not {wanted}, and stood still for {stalled_s:g} s")


async def _figures(client: httpx.AsyncClient, urls: dict[str, str], headers: dict[str, dict]) -> dict | None:
    """Reporting's figures by branch, as each branch's funder reads them; None unless every one answered."""
    answers = {branch: await client.get(f"{urls['reporting']}/figures", headers=h) for branch, h in headers.items()}
    if any(answer.status_code != 200 for answer in answers.values()):
        return None
    return {branch: answer.json()["figures"] for branch, answer in answers.items()}


async def _events_waiting(client: httpx.AsyncClient, urls: dict[str, str], scrape_token: str) -> int | None:
    """Events published or about to be that reporting has not applied yet: each service's outbox (not on Kafka
    yet), reporting's group lag on every partition as the broker sees it (its /metrics), and the events its
    ordered consumers hold for a stream's earlier version. None: not known (a part restarting)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        pending = [(await client.get(f"{urls[s]}/health")).json()["outbox_pending"] for s in PUBLISHERS]
        authorized = {"Authorization": f"Bearer {scrape_token}"}
        metrics = await client.get(f"{urls['reporting']}/metrics", headers=authorized)
        consumers = (await client.get(f"{urls['reporting']}/health")).json()["checks"]["consumers"]
    except (ValueError, KeyError):
        return None  # an answer that is not a service's (a part starting)
    lags = [
        sample.value
        for family in text_string_to_metric_families(metrics.text if metrics.status_code == 200 else "")
        if family.name == "duo_consumer_group_lag_messages"
        for sample in family.samples
    ]
    if not lags or any(n is None for n in pending):
        return None  # the broker or a database not read
    # None: a consumer that holds nothing (not an ordered one), or its database not read; the lag says the rest.
    held = sum(consumer.get("held_events") or 0 for consumer in consumers)
    return sum(pending) + int(sum(lags)) + held


def report_lines(f: dict, plan: dict, result, scenario, scale: float) -> list[str]:
    """The programme as reporting gives it back (`f`: a branch's figures; `plan`: the memorandum's plan as reporting
    states it): the same lines for the same seed, whatever failed underneath."""
    from devtool.demo.scenario import ROUNDING_RULE

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
