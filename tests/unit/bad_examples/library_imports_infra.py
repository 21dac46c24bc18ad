"""BAD EXAMPLE, parsed by test_boundaries.py and never imported: library code reaching for the dev stack and a service."""

from __future__ import annotations


def endpoints() -> dict:
    from services.intake import app
    from shared.infra.stack import read_endpoints

    return {"stack": read_endpoints, "app": app}
