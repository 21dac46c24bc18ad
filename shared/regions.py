"""Regions: which branches one deployment hosts, and where the others live. Pure.

A region is a whole deployment (the four services, their databases, a Kafka cluster) hosting a declared set of
branches: a branch whose people must stay in their own country gets a region of its own (docs/adr/0014). A service
refuses whatever is about a branch its region does not host: a token (421, naming the region that hosts it), and
an event (parked). With no region set, one region hosts every branch, as before regions existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.tenancy import Tenant

EVERYWHERE = "all"  # the name of the one region of a deployment that declares none


@dataclass(frozen=True)
class Region:
    """This deployment's region: its name, the branches it hosts, and the other regions' branches (for refusals)."""

    name: str = EVERYWHERE
    branches: frozenset[Tenant] = frozenset(Tenant)
    others: Mapping[str, frozenset[Tenant]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for other, theirs in self.others.items():
            if other == self.name:
                raise ValueError(f"region {other!r} is this region; list only the others")
            if shared := theirs & self.branches:
                raise ValueError(f"branch {', '.join(sorted(shared))} is hosted by {self.name} and by {other}")

    def hosts(self, branch: Tenant | str) -> bool:
        return branch in self.branches

    def host_of(self, branch: Tenant | str) -> str | None:
        """The region hosting `branch`: this one, another one declared, or None (not known here)."""
        if self.hosts(branch):
            return self.name
        return next((name for name, theirs in self.others.items() if branch in theirs), None)

    def refusal(self, branch: Tenant | str) -> str | None:
        """Why something about `branch` does not belong here, naming where it does; None when this region hosts it."""
        if self.hosts(branch):
            return None
        host = self.host_of(branch)
        where = f"region {host} hosts it" if host else "no region known here hosts it"
        return f"branch {branch} is not hosted by region {self.name}; {where}"


def region_of(name: str | None, branches: Iterable[Tenant] | None, others: Mapping[str, Iterable[Tenant]]) -> Region:
    """The region of DUO_REGION, DUO_REGION_BRANCHES and DUO_OTHER_REGIONS: unset, one region hosting every branch."""
    if not name:
        if branches or others:
            raise ValueError("DUO_REGION_BRANCHES and DUO_OTHER_REGIONS need DUO_REGION")
        return Region()
    if not branches:
        raise ValueError(f"DUO_REGION={name} needs DUO_REGION_BRANCHES, the branches it hosts")
    return Region(name, frozenset(branches), {other: frozenset(theirs) for other, theirs in others.items()})


def parse_branches(text: str) -> list[Tenant]:
    """`BE,NL`: branch codes separated by commas; an unknown one is refused, naming it."""
    branches = []
    for code in filter(None, (c.strip().upper() for c in text.split(","))):
        if code not in Tenant.__members__:
            raise ValueError(f"{code!r} is not a branch (known: {', '.join(Tenant)})")
        branches.append(Tenant(code))
    return branches


def parse_regions(text: str) -> dict[str, list[Tenant]]:
    """`fr=FR;east=NL,BE`: regions separated by semicolons, each `name=branches`."""
    regions: dict[str, list[Tenant]] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        name, _, branches = entry.partition("=")
        if not name.strip() or not branches.strip():
            raise ValueError(f"{entry!r} is not region=BRANCH[,BRANCH...]")
        regions[name.strip()] = parse_branches(branches)
    return regions
