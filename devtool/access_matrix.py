"""The roles table of docs/security.md, written from the code's own table: each route's `x-roles`.

Every route's roles are declared once, where the route is (`authorize(*roles)` and `roles_doc(*roles)`,
shared/auth/http.py), and published in each service's OpenAPI document. This writes them as the
table between the markers of docs/security.md, so the documentation cannot drift from the code:
`python -m devtool.access_matrix` rewrites it, tests/unit/test_access_matrix_doc.py fails when it
differs.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from shared.auth.identity import Role
from shared.config import ServiceSettings

SERVICES = ("intake", "matching", "tracking", "reporting")
DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "security.md"
BEGIN = "<!-- roles table: written by `python -m devtool.access_matrix` from each route's x-roles; do not edit -->"
END = "<!-- end of the roles table -->"
ALLOWED = "yes"


def route_roles() -> list[tuple[str, str, str, frozenset[str]]]:
    """(service, METHOD, path, roles) of every documented route that needs a token, in each document's order."""
    rows = []
    for service in SERVICES:
        create_app = importlib.import_module(f"services.{service}.app").create_app
        document = create_app(ServiceSettings(service, "postgresql://unused/unused", "unused:9092")).openapi()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if "x-roles" in operation:
                    rows.append((service, method.upper(), path, frozenset(operation["x-roles"])))
    return rows


def table() -> str:
    """The markdown table: one row per route, one column per role, `yes` or the 403 the others get."""
    roles = [role.value for role in Role]
    lines = [f"| service | route | {' | '.join(roles)} |", "|---|---|" + "---|" * len(roles)]
    for service, method, path, allowed in route_roles():
        cells = [ALLOWED if role in allowed else "403" for role in roles]
        lines.append(f"| {service} | `{method} {path}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def with_table(text: str) -> str:
    """`text` (docs/security.md) with the table between its markers written afresh."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return f"{text[:start]}\n{table()}\n{text[end:]}"


def main() -> int:
    DOCUMENT.write_text(with_table(DOCUMENT.read_text()))
    print(f"wrote the roles table of {DOCUMENT.name}: {len(route_roles())} routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
