"""Who may read `/metrics`: whoever holds the scrape token (Prometheus), never anyone who reaches the port.

The metrics show no personal data, but they show volumes per route, topics and consumers, and the
health of the service's dependencies: enough to watch a branch's activity. The token comes from
DUO_METRICS_TOKEN (a Kubernetes Secret, the compose file's environment) or, on a developer's machine,
from `$DUO_HOME/metrics-scrape.token`, made on first use.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi import Request

from shared.auth.http import Unauthenticated
from shared.config import PlatformEnvironment
from shared.local_secrets import duo_home, ensure_secret_file

SCRAPE_TOKEN_ENV = "DUO_METRICS_TOKEN"
SCRAPE_TOKEN_FILE = "metrics-scrape.token"


def configured_scrape_token(environ: Mapping[str, str] | None = None) -> str:
    """DUO_METRICS_TOKEN, or the embedded stack's token under DUO_HOME (made on first use)."""
    given = PlatformEnvironment.from_environ(environ).duo_metrics_token
    return given or ensure_secret_file(duo_home(environ) / SCRAPE_TOKEN_FILE)


def check_scrape_token(request: Request, expected: str) -> None:
    """Unauthenticated (401) unless the request carries `Authorization: Bearer <the scrape token>`."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest: the time taken says nothing about how much of a guess was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Unauthenticated(f"/metrics needs the scrape token ({SCRAPE_TOKEN_ENV}): Authorization: Bearer <token>")
