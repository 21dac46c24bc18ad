"""BAD EXAMPLE, parsed by test_boundaries.py and never imported: library code reaching up for a service and
the development tool."""

from __future__ import annotations


def endpoints() -> dict:
    from devtool.stack import read_endpoints
    from services.intake import app

    return {"stack": read_endpoints, "app": app}
