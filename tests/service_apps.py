"""Every service's app, built without starting it, and its routes that need a token, ready to call.

The token is checked before anything else runs, so refusals (401, 413, ...) are reached without a
database or a broker: what tests of the HTTP edge of all four services need.
"""

from __future__ import annotations

import importlib
import re
import uuid

from fastapi import FastAPI

from shared.config import ServiceSettings
from tests.auth import VERIFIER

SERVICES = ("intake", "matching", "tracking", "reporting")
PUBLIC_ROUTES = {("get", "/health"), ("get", "/health/ready")}


def service_apps() -> dict[str, FastAPI]:
    apps = {}
    for service in SERVICES:
        create_app = importlib.import_module(f"services.{service}.app").create_app
        app = create_app(ServiceSettings(service, "postgresql://unused/unused", "unused:9092"))
        app.state.token_verifier = VERIFIER  # what the lifespan sets; the token is refused before the store is used
        apps[service] = app
    return apps


def placeholder(match: re.Match) -> str:
    return "duos_formed" if match.group(1) == "figure" else str(uuid.uuid4())


def guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every documented operation but the public ones, placeholders filled with an id."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if (method, path) not in PUBLIC_ROUTES:
                routes.append((method, re.sub(r"\{(\w+)\}", placeholder, path)))
    return routes
