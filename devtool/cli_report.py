"""`duo projection rebuild reporting` and `duo report [--branch BE] [--as-of DATE]`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date


def _rebuild(args: argparse.Namespace) -> int:
    from services.reporting.adapters.rebuild import rebuild
    from shared.clock import utc_now
    from shared.config import load_service_settings

    equal = asyncio.run(
        rebuild(
            load_service_settings("reporting"),
            utc_now().date(),
            lambda line: print(line, flush=True),
            verify_all=args.verify_all,
        )
    )
    return 0 if equal else 1


async def _report(branch: str | None, as_of: date | None) -> None:
    import asyncpg

    from services.reporting.adapters.definition_files import definition_choices
    from services.reporting.adapters.read_figures import read_figures
    from services.reporting.adapters.read_lists import read_duos_formed_by_office_and_year
    from services.reporting.domain.plan import formed_by_area, plan_rows
    from services.reporting.domain.report import Slice
    from shared.clock import utc_now
    from shared.config import load_service_settings
    from shared.eventstore.postgres import init_connection
    from shared.tenancy import Tenant, local_today

    con = await asyncpg.connect(load_service_settings("reporting").database_url)
    try:
        await init_connection(con)
        for tenant in [Tenant(branch)] if branch else list(Tenant):
            # Today is the branch's, as the API's: from 23:00 UTC Belgium's day is already the next one, and the
            # facts recorded then count from it (UTC's day left them out of `duo report` for that hour).
            day = as_of or local_today(tenant, utc_now())
            definitions = definition_choices().for_branch(tenant.value, day)  # the branch's, on the day
            f = await read_figures(con, Slice(tenant), day, definitions, of_branch=tenant)
            print(f"\n{tenant.value} as of {day.isoformat()}")
            for name, value in f.model_dump().items():
                print(f"  {name:24} {_short(value)}")
            if tenant is Tenant.BE:
                formed = formed_by_area(await read_duos_formed_by_office_and_year(con, tenant, day))
                print(f"\n  {'plan 2024-27':16} {'year':>9} {'planned':>8} {'formed':>7} {'share':>6}")
                for row in plan_rows(formed):
                    share = f"{row.share:.0%}" if row.share is not None else "-"
                    print(f"  {row.area:16} {row.year or '2024-2027':>9} {row.planned:>8} {row.formed:>7} {share:>6}")
    finally:
        await con.close()


def _short(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if not isinstance(v, dict)) or str(value)
    return str(value)


def add_report_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo projection` and `duo report` to the `duo` parser."""
    projection = sub.add_parser("projection", help="rebuild a projection from the event log")
    projection_sub = projection.add_subparsers(dest="projection_command", required=True)
    rebuild = projection_sub.add_parser("rebuild", help="replay the topics into a fresh projection, then switch")
    rebuild.add_argument("service", choices=["reporting"])
    rebuild.add_argument(
        "--verify-all",
        action="store_true",
        help="verify every message's signature again, trusting none reporting verified before (docs/adr/0033): "
        "after a suspected break-in to reporting's database or its chain key",
    )
    rebuild.set_defaults(handler=_rebuild)

    report = sub.add_parser("report", help="print the programme's figures and the plan against the actual")
    report.add_argument("--branch", choices=["BE", "NL", "FR"])
    report.add_argument("--as-of", type=date.fromisoformat, help="the figures as they stood on this day (YYYY-MM-DD)")
    report.set_defaults(handler=lambda args: asyncio.run(_report(args.branch, args.as_of)) or 0)
