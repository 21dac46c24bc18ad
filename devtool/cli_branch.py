"""`duo branch copy|erase|move --branch FR --from OLD_HOME --to NEW_HOME`: a branch moved to a region of its own.

`copy` copies the frozen branch's events and rows from the old region's stores into the new region's (the new
region's relays then publish them); `erase` erases it from the old region once the new one holds and has published
all of it; `move` does both, waiting in between. Each is idempotent: run it again after a crash (docs/operations.md,
"Moving a branch to a region of its own"; docs/adr/0031).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def _say(line: str) -> None:
    print(f"duo branch: {line}", flush=True)


def _branch(args: argparse.Namespace) -> int:
    from devtool.branch_move.copy import CopyRefused
    from devtool.branch_move.erase import EraseRefused
    from devtool.branch_move.steps import Move, MoveRefused, copy_branch, erase_branch, wait_until_published
    from devtool.branch_move.tables import UnclassifiedTable
    from devtool.branch_move.vault import VaultRefused
    from shared.tenancy import Tenant

    move = Move(Tenant(args.branch), Path(args.source), Path(args.target))

    async def steps() -> None:
        if args.branch_command in ("copy", "move"):
            await copy_branch(move, _say)
        if args.branch_command == "move":
            await wait_until_published(move, args.wait_s, _say)
        if args.branch_command in ("erase", "move"):
            await erase_branch(move, _say)

    try:
        asyncio.run(steps())
    except (MoveRefused, CopyRefused, EraseRefused, VaultRefused, UnclassifiedTable) as refused:
        print(f"duo branch {args.branch_command}: refused: {refused}", file=sys.stderr)
        return 2
    _say(f"{args.branch_command} of {args.branch} done")
    return 0


def add_branch_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo branch` to the `duo` parser."""
    branch = sub.add_parser("branch", help="move a frozen branch from one region's data folder to another's")
    branch_sub = branch.add_subparsers(dest="branch_command", required=True)
    helps = {
        "copy": "copy the branch's events, rows and people into the new region's stores (idempotent)",
        "erase": "erase the branch from the old region, once the new one has published all of it (idempotent)",
        "move": "copy, wait until the new region has published it all, then erase",
    }
    for name, text in helps.items():
        step = branch_sub.add_parser(name, help=text)
        step.add_argument("--branch", required=True, choices=["BE", "NL", "FR"], help="the branch that moves")
        step.add_argument("--from", dest="source", required=True, help="the old region's data folder")
        step.add_argument("--to", dest="target", required=True, help="the new region's data folder")
        if name == "move":
            step.add_argument("--wait-s", type=float, default=120.0, help="how long to wait for the new region")
        step.set_defaults(handler=_branch)
