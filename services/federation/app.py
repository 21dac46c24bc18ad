"""The federation's reporting: the cross-branch roll-up from every region's published figures (docs/adr/0028).

It has no database and keeps no fact about anyone: one reader per region (services/federation/adapters/) holds the
region's newest published figures in memory, read again from each region's topic at start. Only the federation's
tokens are let in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.federation.adapters.region_reader import RegionReader
from services.federation.domain.rollup import federation_rollup
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.auth.keys import configured_verifier
from shared.clock import utc_now
from shared.commanding.errors import CommandRefused, InvalidField
from shared.commanding.http import refusal_answer
from shared.config import ConfigurationError, PlatformEnvironment
from shared.events.keyfiles import KeyringFile
from shared.http import validation_error
from shared.http_middleware import Correlate
from shared.security_headers import SecurityHeaders
from shared.topics import federation_topic

KEYRINGS = "federation-keyrings"
PAGE = {"": ("index.html", "text/html; charset=utf-8"), "federation.js": ("federation.js", "text/javascript")}
# The page's own script only, no other origin, not framed by another site.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
}
Federation = Annotated[Identity, Depends(authorize(Role.FEDERATION))]


def region_readers(environ: dict[str, str] | None = None) -> list[RegionReader]:
    """A reader per region of DUO_FEDERATION_REGIONS, each checking signatures against <region>.json of the
    keyrings folder (DUO_FEDERATION_KEYRINGS_DIR, default DUO_HOME/federation-keyrings)."""
    platform = PlatformEnvironment.from_environ(environ)
    if not platform.duo_federation_regions:
        raise ConfigurationError(
            "the federation needs DUO_FEDERATION_REGIONS, e.g. west=kafka-west:9092;fr=kafka-fr:9092"
        )
    folder: Path = platform.duo_federation_keyrings_dir or platform.duo_home / KEYRINGS
    topic = federation_topic(platform.duo_topic_prefix).name
    security = platform.kafka_security("federation")
    return [
        RegionReader(region, bootstrap, topic, KeyringFile(folder / f"{region}.json"), security)
        for region, bootstrap in platform.duo_federation_regions.items()
    ]


def create_app(readers: list[RegionReader] | None = None) -> FastAPI:
    """The federation's HTTP application; `readers`: one per region (None: from the environment at start). Ages are
    measured on the real clock, as the regions stamp their messages (a demo's simulated calendar is not theirs)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.readers = readers if readers is not None else region_readers()
        app.state.token_verifier = getattr(app.state, "token_verifier", None) or configured_verifier(os.environ)
        tasks = [asyncio.create_task(r.run(), name=f"federation-{r.region}") for r in app.state.readers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    app = FastAPI(title="DUO federation", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(CommandRefused, refusal_answer)
    app.add_middleware(Correlate)
    app.add_middleware(SecurityHeaders)

    @app.get("/health", tags=["operations"])
    async def health(request: Request) -> JSONResponse:
        """`ok` while every region's cluster answers, `degraded` when one does not (its last figures still shown)."""
        readers: list[RegionReader] = request.app.state.readers
        regions = {r.region: {"reachable": r.reachable, "refused_messages": r.refused} for r in readers}
        status = "ok" if all(r.reachable for r in readers) else "degraded"
        return JSONResponse({"service": "federation", "status": status, "regions": regions})

    @app.get("/figures", tags=["figures"], openapi_extra=roles_doc(Role.FEDERATION))
    async def figures(request: Request, identity: Federation, as_of: date | None = None) -> dict:
        """Every branch's published headline counts across the regions, the publication of the last quarter end on
        or before `as_of` (the newest by default); each region with its publication, age and whether it is stale."""
        readers: list[RegionReader] = request.app.state.readers
        if as_of is not None and not date(2000, 1, 1) <= as_of <= date(2100, 12, 31):
            raise InvalidField("as_of", "plausible_date", "must be a day between 2000-01-01 and 2100-12-31")
        stale_after_s = PlatformEnvironment.from_environ().duo_federation_stale_after_s
        latest = {r.region: r.figures for r in readers if r.figures is not None}
        return federation_rollup([r.region for r in readers], latest, utc_now(), stale_after_s, as_of)

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_redirect() -> RedirectResponse:
        return RedirectResponse("dashboard/", status_code=307)

    @app.get("/dashboard/", include_in_schema=False)
    @app.get("/dashboard/{name}", include_in_schema=False)
    async def dashboard(name: str = "") -> Response:
        """The federation's dashboard: a page and its script (no data in them; the figures come with the token)."""
        if name not in PAGE:
            return Response(status_code=404)
        content = resources.files("services.federation.dashboard").joinpath(PAGE[name][0]).read_bytes()
        return Response(content, media_type=PAGE[name][1], headers=PAGE_HEADERS)

    return app
