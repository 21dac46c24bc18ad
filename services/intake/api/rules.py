"""The eligibility rules in force at a date, for any role of the branch: what a decision on that day applied."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.intake.api.fields import PlausibleDate
from services.intake.domain.rules import BranchRules, RuleBook
from shared.auth.http import Forbidden, authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.clock import Clock
from shared.tenancy import Tenant, local_date

_BRANCH_ROLES = (Role.COORDINATOR, Role.BRANCH_ADMIN, Role.AUDITOR, Role.FUNDER, Role.FINANCE_OFFICER)
BranchStaff = Annotated[Identity, Depends(authorize(*_BRANCH_ROLES))]
router = APIRouter(tags=["rules"])


class SourcedValue(BaseModel):
    value: Any
    source: str
    placeholder: bool


class RulesInForce(BaseModel):
    """One version of a branch's rules, each value with its source, and the age bands it derives."""

    branch: str
    on: date
    version: str
    valid_from: date
    valid_until: date | None  # the last day before the next version, if one is known
    note: str
    mentee: dict[str, SourcedValue]
    mentor: dict[str, SourcedValue]
    age_bands: list[str]
    versions: list[dict[str, Any]]


def _values(rules: BranchRules, side: str) -> dict[str, SourcedValue]:
    values = vars(rules.mentee if side == "mentee" else rules.mentor)
    out = {}
    for name, value in values.items():
        shown = sorted(value) if isinstance(value, frozenset) else list(value) if isinstance(value, tuple) else value
        source = rules.sources.get(f"{side}.{name}")
        out[name] = SourcedValue(
            value=shown,
            source=source.source if source else "not given",
            placeholder=source.placeholder if source else True,
        )
    return out


def _bands(rules: BranchRules) -> list[str]:
    limits = rules.band_limits
    return [rules.age_band(limits[0] - 1), *(rules.age_band(low) for low in limits)]


@router.get("/rules", openapi_extra=roles_doc(*_BRANCH_ROLES), response_model=RulesInForce)
async def rules_in_force(
    request: Request,
    identity: BranchStaff,
    branch: Annotated[Tenant | None, Query(description="the caller's branch (the default)")] = None,
    on: Annotated[PlausibleDate | None, Query(description="a date (YYYY-MM-DD); the branch's today by default")] = None,
) -> RulesInForce:
    """The branch's eligibility rules in force on a date, the version decisions on that day applied (their
    events name it as rules_version), every value with its source; placeholders await the branch's word."""
    assert identity.branch is not None
    asked = branch or identity.branch
    if asked != identity.branch:
        raise Forbidden("branch", "token_branch", "only the rules of the token's branch can be read")
    clock: Clock = request.app.state.clock
    day = on or local_date(asked, clock())
    book: RuleBook = request.app.state.rules
    rules = book.in_force(asked, day)
    history = book.history(asked)
    later = [v.valid_from for v in history if v.valid_from > rules.valid_from]
    return RulesInForce(
        branch=asked.value,
        on=day,
        version=rules.version,
        valid_from=rules.valid_from,
        valid_until=later[0] - timedelta(days=1) if later else None,
        note=rules.note,
        mentee=_values(rules, "mentee"),
        mentor=_values(rules, "mentor"),
        age_bands=_bands(rules),
        versions=[{"version": v.version, "valid_from": v.valid_from} for v in history],
    )
