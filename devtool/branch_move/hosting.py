"""Which branches a region's data folder hosts, as its last `duo run --region` recorded them (`region.json`).

The move reads it to refuse a branch still hosted by the old region (not frozen: new facts could still arrive
there) or not hosted by the new one (its services would refuse the branch's events and tokens).
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.regions import Region, parse_branches
from shared.tenancy import Tenant

REGION_FILE = "region.json"


def record_region(home: Path, region: Region) -> None:
    """Write the region `duo run --region` runs as into its data folder."""
    home.mkdir(parents=True, exist_ok=True)
    record = {
        "name": region.name,
        "branches": sorted(region.branches),
        "others": {name: sorted(theirs) for name, theirs in region.others.items()},
    }
    (home / REGION_FILE).write_text(json.dumps(record, indent=2) + "\n")


def recorded_region(home: Path) -> Region | None:
    """The region recorded in `home`, or None when it never ran as one."""
    path = home / REGION_FILE
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    others = {name: frozenset(parse_branches(",".join(theirs))) for name, theirs in record["others"].items()}
    return Region(record["name"], frozenset(parse_branches(",".join(record["branches"]))), others)


def refusal(branch: Tenant, source: Path, target: Path) -> str | None:
    """Why `branch` cannot move from the region of data folder `source` to that of `target`; None when it can."""
    old, new = recorded_region(source), recorded_region(target)
    if old is None or new is None:
        missing = source if old is None else target
        return f"{missing} records no region (start it with `duo run --region NAME --branches ...` first)"
    if old.name == new.name:
        return f"both data folders are region {old.name}"
    if old.hosts(branch):
        return (
            f"branch {branch} is still hosted by region {old.name}: freeze it first (restart {old.name} without it, "
            f"with --other-regions {new.name}={branch})"
        )
    if not new.hosts(branch):
        return f"region {new.name} does not host branch {branch}: restart it with {branch} in --branches"
    return None
