"""What a coordinator acts on, read from reporting's ledger: waiting mentees, open proposals, inactive duos,
follow-ups due, the events reporting parked for their branch, and the platform's health."""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Mapping
from datetime import date
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from services.reporting.adapters.read_lists import ListedJson, read_coordination_json
from services.reporting.api.figures import _day
from services.reporting.api.health_snapshot import HealthSnapshot
from services.reporting.domain.coordination import DEFAULT_LIMIT, MAX_LIMIT, Offices, stated_lists
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.clock import utc_now
from shared.commanding.errors import InvalidField, OutsideOffices
from shared.config import PlatformEnvironment
from shared.health import decide
from shared.runtime import ServiceRuntime
from shared.tenancy import OFFICES

router = APIRouter(tags=["coordination"])
Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
# Where the other services answer, for their /health: DUO_SERVICE_URLS="intake=http://host:8001,matching=...".
SERVICE_URLS_VARIABLE = "DUO_SERVICE_URLS"
HEALTH_TIMEOUT_S = 2.0


def service_urls(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The services' base URLs of DUO_SERVICE_URLS, in its order (none when unset; a malformed one is refused at
    start, shared/config.py)."""
    return dict(_parsed_urls((os.environ if environ is None else environ).get(SERVICE_URLS_VARIABLE)))


@functools.lru_cache(maxsize=8)
def _parsed_urls(value: str | None) -> tuple[tuple[str, str], ...]:
    # Read on every /coordination: the whole environment's settings cost milliseconds to parse, this one does not.
    only = {} if value is None else {SERVICE_URLS_VARIABLE: value}
    return tuple(PlatformEnvironment.from_environ(only).duo_service_urls.items())


async def _their_health(client: httpx.AsyncClient, name: str, url: str) -> dict:
    try:
        answer = await client.get(f"{url}/health", timeout=HEALTH_TIMEOUT_S)
        body = answer.json()
        return {"service": name, "status": body.get("status", "failing"), "reasons": body.get("reasons", [])}
    except (httpx.HTTPError, ValueError) as err:
        return {"service": name, "status": "unreachable", "reasons": [f"no answer from /health ({type(err).__name__})"]}


async def platform_health(request: Request) -> dict:
    """Reporting's own health, then each other service of DUO_SERVICE_URLS, in its order: the last look of the
    app's HealthSnapshot (health_snapshot.py: at most a few seconds old, its age in the answer)."""
    snapshot: HealthSnapshot = request.app.state.health_snapshot
    urls = service_urls()
    return await snapshot.read(tuple(urls.items()), lambda: _look_at_health(request.app.state.runtime, urls))


async def _look_at_health(runtime: ServiceRuntime, urls: dict[str, str]) -> dict:
    status, reasons = decide(await runtime.health_checks(), utc_now(), runtime.stall_after_s)
    own = runtime.settings.service
    services = [{"service": own, "status": status, "reasons": reasons}]
    # The configured list, reporting itself once: it answers from its own checks, not over HTTP (`duo run` lists
    # all four services in DUO_SERVICE_URLS).
    others = {name: url for name, url in urls.items() if name != own}
    if others:
        async with httpx.AsyncClient() as client:
            services += await asyncio.gather(*(_their_health(client, n, u) for n, u in others.items()))
    return {
        "services": services,
        "others_configured": bool(others),
        "note": None if others else f"set {SERVICE_URLS_VARIABLE} to include the other services' health",
    }


async def parked_of_branch(request: Request, where: Offices) -> dict:
    """The events reporting parked (never counted) of the caller's branch and offices; messages that are not
    events of the platform belong to no branch and are counted only."""
    async with request.app.state.runtime.pool.acquire() as con:
        rows = await con.fetch(
            "SELECT event_id, event_type, reason, parked_at, envelope->>'office' AS office FROM parked_events "
            "WHERE envelope->>'tenant' = $1 ORDER BY parked_at DESC LIMIT 1000",
            where.branch.value,
        )
        messages = await con.fetchval("SELECT count(*) FROM parked_messages")
    events = [
        {
            "event_id": str(r["event_id"]),
            "event_type": r["event_type"],
            "office": r["office"],
            "reason": r["reason"],
            "parked_at": r["parked_at"].isoformat(),
        }
        for r in rows
        if where.offices is None or r["office"] in where.offices
    ]
    return {"events": events, "messages_without_branch": messages}


@router.get("/coordination", response_model=dict, openapi_extra=roles_doc(Role.COORDINATOR))
async def get_coordination(
    request: Request,
    identity: Coordinator,
    office: Annotated[
        str | None, Query(description="one office of the caller's branch (and offices); all of them by default")
    ] = None,
    as_of: date | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per list at most; each list has its total")] = (
        DEFAULT_LIMIT
    ),
) -> Response:
    """A coordinator's work for their branch (or the offices of their token) as of a day: mentees waiting for a
    mentor and since when, open proposals and their expiry, inactive duos, follow-ups due, the events reporting
    parked, and the platform's health (a look at most a few seconds old: `checked_at`, `age_s`). Ids only: names
    are in intake, which records every read."""
    assert identity.branch is not None  # a coordinator always has a branch
    if office is not None:
        if office not in OFFICES:
            raise InvalidField("office", "known_office", f"unknown office {office}")
        if OFFICES[office][0] != identity.branch:
            raise InvalidField("office", "office_of_branch", f"office {office} is not an office of the caller's branch")
        if not identity.may_reach_office(office):
            raise OutsideOffices(office)
    where = Offices(identity.branch, frozenset({office}) if office else identity.offices)
    day = _day(request, identity.branch, as_of)
    async with request.app.state.runtime.pool.acquire() as con:
        lists = await read_coordination_json(con, where, day, limit)
    head = {
        "as_of": day.isoformat(),
        "branch": identity.branch.value,
        "offices": sorted(where.offices) if where.offices is not None else None,
        "offices_of_caller": sorted(
            o for o, (branch, _, _) in OFFICES.items() if branch == identity.branch and identity.may_reach_office(o)
        ),
        "parked": jsonable_encoder(await parked_of_branch(request, where)),
        "health": jsonable_encoder(await platform_health(request)),
    }
    return Response(_with_lists(head, lists), media_type="application/json")


# Where a list's items go in the answer: a string no PostgreSQL text can hold (NUL), so no other value of the answer
# is it, and the lists come first, so their places are the first four anyway.
_ITEMS_PLACE = "\x00items\x00"


def _with_lists(head: dict, lists: dict[str, ListedJson]) -> bytes:
    """The answer: the lists as stated_lists states them, each one's items spliced in as the JSON the database built
    (read_coordination_json) instead of decoded and encoded again (docs/performance.md section 8), then `head`."""
    stated = stated_lists(*((total, _ITEMS_PLACE) for total, _ in lists.values()))
    pieces = json.dumps({**stated, **head}, separators=(",", ":")).split(json.dumps(_ITEMS_PLACE), len(lists))
    items = [text for _, text in lists.values()] + [""]
    return "".join(piece + text for piece, text in zip(pieces, items, strict=True)).encode()
