"""The dashboard: a page and its assets (no data in them, so no token), and the definitions it states.

Every figure the page shows comes from the API with the caller's bearer token, so it follows the role and
branch exactly as the API does. Nothing is fetched from elsewhere: the chart library is vendored under
services/reporting/dashboard/static/vendor/ (its README says where from).
"""

from __future__ import annotations

from importlib import resources
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from services.reporting.domain import definitions
from services.reporting.domain.coordination import OPEN_PROPOSAL, WAITING_FOR_A_MENTOR
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import FIGURE_READERS, Identity

router = APIRouter(tags=["dashboard"])
FigureReader = Annotated[Identity, Depends(authorize(*FIGURE_READERS))]
STATIC = resources.files("services.reporting.dashboard").joinpath("static")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
# Only the platform's own files: no inline script, no other origin, not framed by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _asset(path: str) -> Response:
    parts = PurePosixPath(path).parts
    if not parts or any(part in ("..", "") or part.startswith(".") for part in parts):
        return Response(status_code=404)
    target = STATIC.joinpath(*parts)
    suffix = PurePosixPath(path).suffix
    if suffix not in TYPES or not target.is_file():
        return Response(status_code=404)
    return Response(target.read_bytes(), media_type=TYPES[suffix], headers=SECURITY_HEADERS)


@router.get("/dashboard", include_in_schema=False)
async def dashboard_redirect() -> RedirectResponse:
    # Relative, so that the page's relative links also work behind a gateway's path prefix.
    return RedirectResponse("dashboard/", status_code=307)


@router.get("/dashboard/", include_in_schema=False)
async def dashboard_page() -> Response:
    """The page: sign-in, then the views of the token's role (the data arrives from the API with the token)."""
    return _asset("index.html")


@router.get("/dashboard/static/{path:path}", include_in_schema=False)
async def dashboard_asset(path: str) -> Response:
    """The page's script, style and the vendored chart library."""
    return _asset(path)


@router.get("/definitions", openapi_extra=roles_doc(*FIGURE_READERS))
async def get_definitions(identity: FigureReader) -> dict[str, str]:
    """Every definition a figure or a coordinator's list is computed under, by key, as stated in words."""
    stated = [
        definitions.ACTIVE_MENTORS,
        definitions.TIME_TO_MATCH,
        definitions.INACTIVE_DUO,
        definitions.FOLLOW_UP_DUE,
        WAITING_FOR_A_MENTOR,
        OPEN_PROPOSAL,
    ]
    return {
        **{d.key: d.text for d in stated},
        **{key: positive.text for key, positive in definitions.POSITIVE_EXITS.items()},
        **{key: retention.text for key, retention in definitions.MENTOR_RETENTIONS.items()},
        **{key: work.source for key, work in definitions.SUSTAINABLE_WORK.items()},
    }
