"""Finding and stopping server processes we started, even after their parent died."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import psutil

OWNER_ENV = "DUO_INFRA_HOME"  # set on every server we start: how `down` finds orphans


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on the port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def poll_until(check: Callable[[], bool], deadline_s: float, what: str, interval_s: float = 0.1) -> None:
    """Call `check` until it holds; TimeoutError naming `what` once the deadline passes.

    The one polling loop of the command line and its tests: a server's readiness has no
    event to wait on, so we look again after a short pause, never longer than the deadline.
    """
    deadline = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {deadline_s:.0f} s")
        time.sleep(interval_s)


def wait_for_port(port: int, deadline_s: float, what: str) -> None:
    """Poll until the port answers, or raise TimeoutError naming `what`."""
    poll_until(lambda: port_answers(port), deadline_s, f"{what} listening on 127.0.0.1:{port}", 0.05)


def owned_processes(home: str, name: str) -> list[psutil.Process]:
    """Processes called `name` whose environment marks them as started for this data folder."""
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != name:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(OWNER_ENV) == home:
                found.append(proc)
    return found


def working_in(folder: Path, name: str) -> list[psutil.Process]:
    """Live processes called `name` whose working directory is `folder` (a zombie has none: it is left out)."""
    where = str(folder.resolve())
    found = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] != name:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.cwd() == where:
                found.append(proc)
    return found


def stop_processes(procs: list[psutil.Process], grace_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL whatever is still alive after the grace period."""
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace_s)


def stop_abandoned_servers() -> None:
    """Stop servers whose data folder no longer exists: nothing could ever stop them otherwise."""
    abandoned = []
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] not in ("postgres", "tansu"):
            continue
        with contextlib.suppress(psutil.Error):
            home = proc.environ().get(OWNER_ENV)
            if home and not Path(home).exists():
                abandoned.append(proc)
    stop_processes(abandoned)
