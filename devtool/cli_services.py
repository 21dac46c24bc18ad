"""`duo serve`, `duo run` and `duo outbox republish`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from devtool.processes import poll_until, port_answers
from devtool.supervise import Part, StopSignal, Supervisor, die_with_parent

if TYPE_CHECKING:
    from fastapi import FastAPI

SERVICES = ("intake", "matching", "tracking", "reporting")
FEDERATION = "federation"  # the federation's reporting (docs/adr/0028): not one of a region's services
DEFAULT_PORTS = {"intake": 8001, "matching": 8002, "tracking": 8003, "reporting": 8004, FEDERATION: 8005}


def serve_app(app: FastAPI, host: str, port: int, keep_alive_s: int) -> None:
    """Serve a built service app in this process until stopped, as `duo serve` (and the benchmarks' servers) run one:
    its startup objects first moved out of the collector's full passes (shared/heap.py, docs/adr/0039)."""
    import uvicorn

    from shared.heap import freeze_startup_objects

    freeze_startup_objects()
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, timeout_keep_alive=keep_alive_s)


def _serve(args: argparse.Namespace) -> int:
    from shared.config import ConfigurationError, PlatformEnvironment
    from shared.logging import configure_logging

    try:  # every setting checked before anything starts: a bad value stops the service, naming its variable
        platform = PlatformEnvironment.from_environ()
    except ConfigurationError as err:
        print(f"duo serve {args.service}: {err}", file=sys.stderr)
        return 2
    configure_logging(args.service, platform.log_level)
    from devtool.simulated_clock import clock_from_environment

    if args.service == FEDERATION:  # no calendar of its own: it shows what the regions published, aged in real time
        app = importlib.import_module("services.federation.app").create_app()
    else:  # the real clock, or a demo's simulated calendar when `duo demo` started this process for one
        app = importlib.import_module(f"services.{args.service}.app").create_app(clock=clock_from_environment())
    serve_app(app, args.host, args.port, platform.duo_http_keep_alive_s)
    return 0


class StartupAborted(RuntimeError):
    """A stop signal arrived while the platform was starting."""


def wait_healthy(service: str, url: str, deadline_s: float, process: subprocess.Popen | None = None, stop=None) -> None:
    """Poll /health until this service (not another program on the port) answers, or raise."""

    def healthy() -> bool:
        if stop is not None and stop.received:
            raise StartupAborted("stopped while starting")
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{service} exited with code {process.returncode} before it was healthy")
        try:
            answer = httpx.get(f"{url}/health", timeout=2)
            return answer.status_code == 200 and answer.json().get("service") == service
        except (httpx.HTTPError, ValueError):
            return False

    poll_until(healthy, deadline_s, f"{service} at {url} answering /health", 0.2)


def start_service(service: str, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """One service as a child process that dies with us, even if we are killed."""

    return subprocess.Popen(
        [sys.executable, "-m", "devtool.cli", "serve", service, "--port", str(port)],
        env=env,
        preexec_fn=die_with_parent(os.getpid()),
        stdin=subprocess.DEVNULL,
    )


NOT_ANSWERING_CHECKS = 3  # a server alive but silent this many checks in a row is restarted
SUPERVISION_POLL_S = 0.5


def _server_problem(running: Callable[[], bool], port: int) -> Callable[[], str | None]:
    """A server's health check for the supervisor: None while its port answers, else why it is down."""
    misses = 0

    def problem() -> str | None:
        nonlocal misses
        if port_answers(port):  # the cheap look first; the process table only when it fails
            misses = 0
            return None
        if not running():
            misses = 0
            return "exited (its process is gone)"
        misses += 1  # alive but silent: maybe only slow, so not at the first miss
        if misses < NOT_ANSWERING_CHECKS:
            return None
        misses = 0
        return f"is not answering on 127.0.0.1:{port}"

    return problem


def _service_parts(children: dict[str, subprocess.Popen], ports: dict[str, int], env: dict[str, str]) -> list[Part]:
    def part(service: str) -> Part:
        def problem() -> str | None:
            code = children[service].poll()
            return None if code is None else f"exited with code {code}"

        def restart() -> None:
            children[service] = start_service(service, ports[service], env)

        return Part(service, problem, restart)

    return [part(service) for service in SERVICES]


def _say(line: str) -> None:
    print(f"duo run: {line}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from devtool.cli_regions import region_environment, run_federation

    if args.federation:
        port = DEFAULT_PORTS[FEDERATION] + args.port_offset
        url = f"http://127.0.0.1:{port}"
        try:
            return run_federation(
                args,
                port,
                lambda at, env: start_service(FEDERATION, at, env),
                lambda process, stop: wait_healthy(FEDERATION, url, 60, process, stop),
            )
        except StartupAborted:
            return 0
    region_environment(args)  # before anything reads DUO_HOME: a region has its own data folder
    from devtool import stack
    from devtool.embedded_postgres_server import postgres_running
    from devtool.tansu_broker import tansu_running
    from shared.outbox.relay import EMBEDDED_DELIVERY_TIMEOUT_S

    stop = StopSignal()
    home = stack.default_home()
    children: dict[str, subprocess.Popen] = {}
    ports = {service: DEFAULT_PORTS[service] + args.port_offset for service in SERVICES}
    env = dict(os.environ)  # a restarted service gets the environment the first one had
    # The relays give a batch up quickly, so a broker restarted after the pause below never gets a stale one.
    env["DUO_RELAY_DELIVERY_TIMEOUT_S"] = str(EMBEDDED_DELIVERY_TIMEOUT_S)
    # Where the others answer, for the coordinators' view of the platform's health (reporting's dashboard).
    env.setdefault("DUO_SERVICE_URLS", ",".join(f"{s}=http://127.0.0.1:{p}" for s, p in ports.items()))
    try:
        busy = [port for port in ports.values() if port_answers(port)]
        if busy:
            print(f"duo run: ports {busy} are taken (another `duo run`?); try --port-offset", file=sys.stderr)
            return 1
        endpoints = stack.up(home)
        for service in SERVICES:
            children[service] = start_service(service, ports[service], env)
        for service, child in children.items():
            wait_healthy(service, f"http://127.0.0.1:{ports[service]}", 90, child, stop)
        print("\nDUO platform is running (Ctrl-C stops it):", flush=True)
        for service in SERVICES:
            url = f"http://127.0.0.1:{ports[service]}"
            print(f"  {service:10} {url}   (API docs: {url}/docs)", flush=True)
        print(f"  postgres   {endpoints.shown_database_url('postgres', home)}", flush=True)
        print(f"  kafka      {endpoints.kafka_bootstrap}", flush=True)
        if args.exit_when_ready:
            return 0
        # One part down is restarted alone, with backoff; everything else keeps running.
        supervisor = Supervisor(
            [
                Part(
                    "postgres",
                    _server_problem(lambda: postgres_running(home), endpoints.postgres_port),
                    lambda: stack.restart_postgres(home),
                    slow=True,
                ),
                Part(
                    "kafka",
                    _server_problem(lambda: tansu_running(home), endpoints.kafka_port),
                    lambda: stack.restart_broker(home),
                    # A batch sent to the dead broker must have failed before a new, empty one answers: delivered
                    # to it, that batch would land ahead of the events the relay publishes again (ADR 0023).
                    min_pause_s=EMBEDDED_DELIVERY_TIMEOUT_S + 1,
                    slow=True,
                ),
                *_service_parts(children, ports, env),
            ],
            _say,
        )
        while not stop.wait(SUPERVISION_POLL_S):
            supervisor.tick()
        return 0
    except StartupAborted:
        return 0
    finally:
        for child in children.values():
            child.terminate()
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        if not args.keep_infra:
            stack.down(home)


async def _republish(service: str) -> int:
    from shared.config import load_service_settings
    from shared.eventstore.postgres import apply_schema, create_pool
    from shared.outbox.relay import republish_all

    pool = await create_pool(load_service_settings(service).database_url, min_size=1, max_size=1)
    try:
        await apply_schema(pool)
        async with pool.acquire() as con:
            return await republish_all(con)
    finally:
        await pool.close()


def _outbox(args: argparse.Namespace) -> int:
    count = asyncio.run(_republish(args.service))
    print(f"{args.service}: {count} events queued for publishing again; the running relay sends them now")
    return 0


def add_service_commands(sub: argparse._SubParsersAction) -> None:
    """Add the service commands to the `duo` parser."""
    serve = sub.add_parser("serve", help="run one service in the foreground")
    serve.add_argument("service", choices=(*SERVICES, FEDERATION))
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(
        handler=lambda a: _serve(argparse.Namespace(**{**vars(a), "port": a.port or DEFAULT_PORTS[a.service]}))
    )

    run = sub.add_parser("run", help="start the embedded infrastructure and the four services")
    run.add_argument("--port-offset", type=int, default=0, help="added to the default ports 8001-8004")
    run.add_argument("--keep-infra", action="store_true", help="leave PostgreSQL and Kafka running on exit")
    run.add_argument("--exit-when-ready", action="store_true", help="stop everything once all are healthy (smoke test)")
    from devtool.cli_regions import add_region_arguments

    add_region_arguments(run)
    run.set_defaults(handler=_run)

    outbox = sub.add_parser("outbox", help="outbox maintenance")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    republish = outbox_sub.add_parser("republish", help="publish a service's whole event store again")
    republish.add_argument("service", choices=[s for s in SERVICES if s != "reporting"])
    republish.set_defaults(handler=_outbox)
