"""Where the embedded stack listens, as `duo infra up` recorded it under its data folder.

Services read this record to find their defaults; the stack that writes it lives in
`devtool/` (a development tool), which the library itself never imports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

STATE_FILE = "infra.json"
PASSWORD_FILE = "postgres.password"
ROLES_DIR = "roles"  # one 0600 file per role: roles/<service>.password (owner), roles/<service>_runtime.password
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


def postgres_password(home: Path) -> str:
    """The superuser password of this data folder's server ('' for one made before passwords)."""
    path = home / PASSWORD_FILE
    return path.read_text().strip() if path.exists() else ""


def service_database(service: str) -> str:
    """A service's database on the embedded server, and the name of the role that alone may use it."""
    if not _SERVICE_NAME.fullmatch(service):
        raise ValueError(f"not a service name: {service!r}")
    return f"duo_{service}"


def runtime_role(owner: str) -> str:
    """The login a service runs as, beside the role that owns its database and runs its migrations."""
    return f"{owner}_runtime"


def role_password_file(home: Path, service: str) -> Path:
    """Where the password of a service's role is kept (mode 0600)."""
    service_database(service)  # a checked name: never a path of its own
    return home / ROLES_DIR / f"{service}.password"


def role_password(home: Path, service: str) -> str:
    """The password of a service's role ('' for a data folder made before per-service roles)."""
    path = role_password_file(home, service)
    return path.read_text().strip() if path.exists() else ""


def postgres_url(port: int, database: str, user: str, password: str = "") -> str:
    """A connection URL of the embedded server."""
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgresql://{quote(user, safe='')}{secret}@127.0.0.1:{port}/{database}"


def admin_url(port: int, database: str = "postgres", password: str = "") -> str:
    """The superuser connection URL of the embedded server."""
    return postgres_url(port, database, "postgres", password)


@dataclass(frozen=True)
class InfraEndpoints:
    """Where the embedded servers listen."""

    postgres_port: int
    kafka_port: int
    postgres_password: str = field(default="", repr=False)  # kept in its own 0600 file, never in infra.json
    home: Path | None = None  # the data folder, where the service roles' passwords are kept

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def database_url(self, database: str) -> str:
        """The superuser's URL: for administration (`duo infra`, tests), never for a service."""
        return admin_url(self.postgres_port, database, self.postgres_password)

    def service_database_url(self, service: str) -> str:
        """A service's URL as it runs: its runtime role, which may read and write its own tables and do nothing
        else (no DDL, append-only tables INSERT and SELECT only: shared/runtime_privileges.py).

        A data folder made before runtime roles has none yet (the next `duo infra up` creates them); its
        services keep their owner's URL until then.
        """
        password = role_password(self.home, runtime_role(service)) if self.home else ""
        if not password:
            return self.service_owner_database_url(service)
        database = service_database(service)
        return postgres_url(self.postgres_port, database, runtime_role(database), password)

    def service_owner_database_url(self, service: str) -> str:
        """The URL of the role that owns a service's database: for its migrations, never for serving.

        A data folder made before per-service roles has no role yet; the superuser's URL until then.
        """
        database = service_database(service)
        password = role_password(self.home, service) if self.home else ""
        if not password:
            return self.database_url(database)
        return postgres_url(self.postgres_port, database, database, password)

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
    return InfraEndpoints(ports["postgres_port"], ports["kafka_port"], postgres_password(home), home)
