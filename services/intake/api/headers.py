"""The request headers every intake route reads: branch, actor, Idempotency-Key, If-Match."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from services.intake.errors import InvalidField
from services.intake.idempotency import HEADER
from shared.tenancy import Tenant

_STAFF_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_VERSION = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')


def _staff_id(actor: str) -> str:
    # The actor goes into every event's envelope, which Kafka keeps for ever (docs/adr/0006):
    # an e-mail address or a name there could never be erased, an opaque staff id can be unlinked.
    if not _STAFF_ID.match(actor):
        raise PydanticCustomError("staff_id", "must be an opaque staff id (lower-case letters, digits, '.', '_', '-', "
                                  "at most 64), never an e-mail address or a name")
    return actor


# Until a gateway authenticates coordinators and sets it, the client states its branch;
# every read and write is scoped to it, and another branch's people are "not found".
TenantHeader = Annotated[Tenant, Header(
    alias="X-Tenant", description="the coordinator's country branch (BE, NL or FR); an authenticating gateway "
    "will set it later. Every read and write is scoped to it.", examples=["BE"])]
ActorHeader = Annotated[str, Header(
    alias="X-Actor", description="who acts: an opaque staff id such as coordinator-17 (never an e-mail or a name)",
    examples=["coordinator-17"]), AfterValidator(_staff_id)]
IdempotencyHeader = Annotated[str | None, Header(
    alias=HEADER, description="a retry with the same key gets the first answer and changes nothing")]
IfMatchHeader = Annotated[str | None, Header(
    alias="If-Match", description='the version (ETag, such as "3") the change is based on: 409 if it moved on; '
    "`*` for any existing version. Without it, a concurrent change is retried on the latest version.")]


def expected_version(if_match: str | None) -> int | None:
    """The version If-Match names; None when absent or `*` (any existing version: the person must exist anyway)."""
    if if_match is None or if_match.strip() == "*":
        return None
    if match := _VERSION.fullmatch(if_match.strip()):
        return int(match.group(1))
    raise InvalidField("If-Match", "version_number", 'must be a version such as "3" (the ETag of GET), or *')
