"""The `duo` command: infrastructure, services, and outbox maintenance."""

from __future__ import annotations

import argparse
import sys

from devtool import stack


def _infra(args: argparse.Namespace) -> int:
    home = stack.default_home()
    if args.action == "up":
        stop = None
        if args.foreground:
            from devtool.supervise import StopSignal

            stop = StopSignal()
        endpoints = stack.up(home)
        print(f"postgres  {endpoints.shown_database_url('postgres', home)}")
        print(f"kafka     {endpoints.kafka_bootstrap}")
        print(f"data      {home}", flush=True)
        if stop is not None:
            print("running in the foreground; Ctrl-C stops both", flush=True)
            while not stop.wait(0.5):
                pass
            stack.down(home)
        return 0
    if args.action == "down":
        stack.down(home)
        print("stopped")
        return 0
    status = stack.infra_status(home)
    recorded = stack.read_endpoints(home)
    for name, running in status.items():
        where = ""
        if running and recorded:
            where = recorded.shown_database_url("postgres", home) if name == "postgres" else recorded.kafka_bootstrap
        print(f"{name:9} {'running' if running else 'stopped'}  {where}".rstrip())
    return 0 if all(status.values()) else 3


def _events_schema(args: argparse.Namespace) -> int:
    import json

    from shared.events.schemas import catalog_schemas

    schemas = catalog_schemas()
    if args.type:
        if args.type not in schemas:
            print(f"unknown event type {args.type!r}; known: {', '.join(schemas)}", file=sys.stderr)
            return 2
        schemas = schemas[args.type]
    print(json.dumps(schemas, indent=2, sort_keys=False))
    return 0


def _events_asyncapi(_args: argparse.Namespace) -> int:
    import json

    from shared.events.asyncapi import asyncapi_document

    print(json.dumps(asyncapi_document(), indent=2))
    return 0


def _token_issue(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from shared.auth.identity import Identity, Role
    from shared.auth.keys import ensure_key_pair
    from shared.auth.tokens import issue_token
    from shared.clock import utc_now
    from shared.tenancy import OFFICES, Tenant

    role = Role(args.role)
    if role is not Role.FEDERATION and not args.branch:
        print("duo token issue: --branch is needed for every role but federation", file=sys.stderr)
        return 2
    unknown = [o for o in args.office if o not in OFFICES or OFFICES[o][0] != Tenant(args.branch)]
    if unknown:
        print(f"duo token issue: not offices of {args.branch}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    identity = Identity(
        args.subject,
        role,
        Tenant(args.branch) if args.branch else None,
        frozenset(args.office) if args.office else None,
    )
    ttl = timedelta(seconds=_seconds(args.ttl))
    print(issue_token(ensure_key_pair(stack.default_home()).private_pem, identity, ttl, utc_now()))
    return 0


def _checked_ttl(text: str) -> str:
    _seconds(text)
    return text


def _seconds(text: str) -> int:
    """A duration such as 30m, 8h or 2d, in seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit() or int(text[:-1]) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: use a number and a unit, such as 30m, 8h or 2d")
    return int(text[:-1]) * units[text[-1]]


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar of `duo`."""
    parser = argparse.ArgumentParser(prog="duo", description="DUO platform: run, operate and inspect.")
    sub = parser.add_subparsers(dest="command", required=True)

    infra = sub.add_parser("infra", help="embedded PostgreSQL and Kafka-wire broker")
    infra.add_argument("action", choices=["up", "down", "status"])
    infra.add_argument("--foreground", action="store_true", help="with up: stay attached, stop both on Ctrl-C")
    infra.set_defaults(handler=_infra)

    events = sub.add_parser("events", help="the event catalog")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    schema = events_sub.add_parser("schema", help="print the JSON Schema of every catalog event")
    schema.add_argument("--type", help="only this event type, e.g. MenteeRegistered")
    schema.set_defaults(handler=_events_schema)
    asyncapi = events_sub.add_parser("asyncapi", help="print the AsyncAPI 3.0 document of the topics and their events")
    asyncapi.set_defaults(handler=_events_asyncapi)

    token = sub.add_parser("token", help="tokens signed with the embedded key (development and tests)")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    issue = token_sub.add_parser("issue", help="print a signed token for a member of staff")
    issue.add_argument("--branch", choices=["BE", "NL", "FR"], help="the country branch (not for federation)")
    from shared.auth.identity import Role  # the roles a token may name: the platform's own list

    issue.add_argument("--role", required=True, choices=[role.value for role in Role])
    issue.add_argument("--office", action="append", default=[], help="limit a coordinator to this office (repeatable)")
    issue.add_argument("--subject", default="staff-1", help="the opaque staff id the token speaks for")
    issue.add_argument("--ttl", default="8h", type=_checked_ttl, help="how long it is valid: 30m, 8h, 2d")
    issue.set_defaults(handler=_token_issue)

    from devtool.cli_audit import add_audit_commands
    from devtool.cli_bench import add_bench_commands
    from devtool.cli_branch import add_branch_commands
    from devtool.cli_demo import add_demo_command
    from devtool.cli_keys import add_keys_commands
    from devtool.cli_parked import add_parked_commands
    from devtool.cli_report import add_report_commands
    from devtool.cli_services import add_service_commands

    add_service_commands(sub)
    add_parked_commands(sub)
    add_audit_commands(sub)
    add_keys_commands(sub)
    add_report_commands(sub)
    add_demo_command(sub)
    add_bench_commands(sub)
    add_branch_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `duo` command."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
