"""The `duo` command: infrastructure, services, and outbox maintenance."""

from __future__ import annotations

import argparse
import sys

from shared.infra import stack


def _infra(args: argparse.Namespace) -> int:
    home = stack.default_home()
    if args.action == "up":
        endpoints = stack.up(home)
        print(f"postgres  {endpoints.database_url('postgres')}")
        print(f"kafka     {endpoints.kafka_bootstrap}")
        print(f"data      {home}")
        if args.foreground:
            from shared.infra.supervise import wait_for_stop_signal

            wait_for_stop_signal()
            stack.down(home)
        return 0
    if args.action == "down":
        stack.down(home)
        print("stopped")
        return 0
    status = stack.infra_status(home)
    endpoints = stack.read_endpoints(home)
    for name, running in status.items():
        where = ""
        if running and endpoints:
            where = endpoints.database_url("postgres") if name == "postgres" else endpoints.kafka_bootstrap
        print(f"{name:9} {'running' if running else 'stopped'}  {where}".rstrip())
    return 0 if all(status.values()) else 3


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar of `duo`."""
    parser = argparse.ArgumentParser(prog="duo", description="DUO platform: run, operate and inspect.")
    sub = parser.add_subparsers(dest="command", required=True)

    infra = sub.add_parser("infra", help="embedded PostgreSQL and Kafka-wire broker")
    infra.add_argument("action", choices=["up", "down", "status"])
    infra.add_argument("--foreground", action="store_true", help="with up: stay attached, stop both on Ctrl-C")
    infra.set_defaults(handler=_infra)

    from shared.infra.cli_services import add_service_commands

    add_service_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `duo` command."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
