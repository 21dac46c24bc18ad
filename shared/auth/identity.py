"""A verified caller: who (an opaque staff id), which branch, which role, and for a coordinator perhaps which offices.

Pure. What each role may do is one table in docs/security.md, enforced by shared.auth.http.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.tenancy import Tenant


class Role(StrEnum):
    """What a member of staff does on the platform."""

    COORDINATOR = "coordinator"  # registers, matches and follows the people of their branch (or offices)
    BRANCH_ADMIN = "branch_admin"  # runs the branch: its access log, erasure
    AUDITOR = "auditor"  # the branch's event history and figures, never personal data
    FUNDER = "funder"  # the branch's figures only
    FEDERATION = "federation"  # the cross-branch roll-up of figures only
    FINANCE_OFFICER = "finance_officer"  # the branch's money: budgets, costs, subsidies; and its figures


# Roles that read figures, and so may call reporting.
FIGURE_READERS = frozenset(
    {Role.COORDINATOR, Role.BRANCH_ADMIN, Role.AUDITOR, Role.FUNDER, Role.FEDERATION, Role.FINANCE_OFFICER}
)


@dataclass(frozen=True)
class Identity:
    """What a verified token says. `branch` is None only for the federation, which spans branches;
    `offices` is None when the caller may reach every office of the branch."""

    subject: str
    role: Role
    branch: Tenant | None
    offices: frozenset[str] | None = None

    def may_reach_office(self, office: str | None) -> bool:
        """Whether a record at `office` is within the caller's offices (any office when unrestricted)."""
        return self.offices is None or office in self.offices
