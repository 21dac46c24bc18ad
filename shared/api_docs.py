"""`/docs` (Swagger UI) served from the service itself: FastAPI's default page loads its script and style from a
CDN, so it is blank on a network without one. The assets come from the `swagger-ui-bundle-v2` package (Swagger UI
5, which reads the OpenAPI 3.1 FastAPI writes), mounted at /docs/static; FastAPI's own page and OAuth2 redirect
otherwise. ReDoc has no such package and is left out (`redoc_url=None`).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS = "/docs"
ASSETS = f"{DOCS}/static"


def serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI at /docs with its assets at /docs/static; the app must be made with docs_url=None."""
    assert app.docs_url is None, "FastAPI's own /docs would answer first"
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=f"{DOCS}/oauth2-redirect",
        )

    @app.get(f"{DOCS}/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
