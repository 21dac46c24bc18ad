"""Where the embedded stack listens, as `duo infra up` recorded it under its data folder.

Services read this record to find their defaults; the stack that writes it lives in
`shared/infra/` (a development tool), which the library itself never imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

STATE_FILE = "infra.json"
PASSWORD_FILE = "postgres.password"


def postgres_password(home: Path) -> str:
    """The superuser password of this data folder's server ('' for one made before passwords)."""
    path = home / PASSWORD_FILE
    return path.read_text().strip() if path.exists() else ""


def admin_url(port: int, database: str = "postgres", password: str = "") -> str:
    """The superuser connection URL of the embedded server."""
    if password:
        return f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}/{database}"
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"


@dataclass(frozen=True)
class InfraEndpoints:
    """Where the embedded servers listen."""

    postgres_port: int
    kafka_port: int
    postgres_password: str = ""  # kept in its own 0600 file, never in infra.json

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def database_url(self, database: str) -> str:
        return admin_url(self.postgres_port, database, self.postgres_password)

    def shown_database_url(self, database: str, home: Path) -> str:
        """The URL as printed for people: the password stays in its file, out of terminals and CI logs."""
        if not self.postgres_password:
            return self.database_url(database)
        masked = admin_url(self.postgres_port, database, "PASSWORD")
        return f"{masked}  (PASSWORD in {home / PASSWORD_FILE})"


def read_endpoints(home: Path) -> InfraEndpoints | None:
    """The endpoints recorded by the last `up`, if any."""
    path = home / STATE_FILE
    if not path.exists():
        return None
    ports = json.loads(path.read_text())
    return InfraEndpoints(ports["postgres_port"], ports["kafka_port"], postgres_password(home))
