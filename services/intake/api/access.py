"""The access log's routes and the one helper every read of personal data calls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.intake.adapters.access_log import accesses, record_access, verify_chain
from services.intake.service import IntakeUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role

BranchAdmin = Annotated[Identity, Depends(authorize(Role.BRANCH_ADMIN))]
router = APIRouter(prefix="/access-log", tags=["access log"])


async def log_read(
    unit: IntakeUnit[Any], request: Request, identity: Identity, action: str, person_ids: list[uuid.UUID]
) -> None:
    """Record a read of these people's personal data; call it before answering with them."""
    if person_ids:
        await record_access(
            unit.tx, identity, action, person_ids, request.state.correlation_id, request.app.state.clock()
        )


class AccessEntry(BaseModel):
    """One read of personal data."""

    entry_id: int
    accessed_at: str
    subject: str
    role: str
    action: str
    person_ids: list[uuid.UUID]
    correlation_id: uuid.UUID
    entry_hash: str


class ChainVerification(BaseModel):
    """Whether the access log's hash chain holds, and where it breaks."""

    verified_entries: int
    intact: bool
    first_broken_entry: int | None
    reason: str | None
    erased_entries: int = 0  # erased on purpose, each recorded with why (a branch moved away, docs/adr/0031)


@router.get("", openapi_extra=roles_doc(Role.BRANCH_ADMIN), response_model=list[AccessEntry])
async def access_log(
    request: Request,
    identity: BranchAdmin,
    person: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AccessEntry]:
    """Who read personal data of the branch's people, newest first; `person` narrows it to one person."""
    assert identity.branch is not None
    async with request.app.state.runtime.pool.acquire() as con:
        rows = await accesses(con, identity.branch, person, limit, offset)
    return [AccessEntry(**row | {"accessed_at": row["accessed_at"].isoformat()}) for row in rows]


@router.get("/verification", openapi_extra=roles_doc(Role.BRANCH_ADMIN), response_model=ChainVerification)
async def access_log_verification(request: Request, identity: BranchAdmin) -> ChainVerification:
    """Recompute the whole log's hash chain: an edited or deleted entry shows where it breaks."""
    async with request.app.state.runtime.pool.acquire() as con:
        check = await verify_chain(con)
    return ChainVerification(
        verified_entries=check.verified,
        intact=check.first_broken_entry is None,
        first_broken_entry=check.first_broken_entry,
        reason=check.reason,
        erased_entries=check.erased,
    )
