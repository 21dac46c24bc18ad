"""A demo's simulated calendar.

`duo demo` runs the platform on a simulated calendar: it starts the services with
DUO_SIMULATED_CLOCK_FILE naming a file that holds the simulated moment, which the
simulator moves on. `duo serve` reads it and hands the clock to the service it starts
(devtool/cli_services.py); the services and the library only ever take a clock. A
deployment never sets it (docs/demo.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.clock import Clock, utc_now

SIMULATED_CLOCK_VARIABLE = "DUO_SIMULATED_CLOCK_FILE"


def file_clock(path: Path) -> Clock:
    """A clock that reads the moment written in `path` (ISO 8601, aware), again whenever the file changes.

    Whether it changed is asked of the open file (`fstat`, no path to look up: about half the CPU of a `stat` of
    the path, issue 24) on every reading, so a moment written before a request is the one that request sees, as
    before. The simulator rewrites the file in place; a file replaced by another (renamed over it) is opened
    again, since the one held open is then unlinked."""
    state: dict[str, Any] = {"fd": None, "mtime": None, "moment": None}

    def now() -> datetime:
        fd = state["fd"]
        if fd is None:
            fd = state["fd"] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        seen = os.fstat(fd)
        if seen.st_nlink == 0:  # replaced: the name now points to another file
            os.close(fd)
            state.update(fd=None, mtime=None)
            return now()
        if seen.st_mtime_ns != state["mtime"]:
            moment = datetime.fromisoformat(os.pread(fd, 256, 0).decode().strip())
            if moment.tzinfo is None:
                raise ValueError(f"{path}: the simulated moment must carry a time zone offset")
            state.update(mtime=seen.st_mtime_ns, moment=moment)
        moment_now: datetime = state["moment"]
        return moment_now

    return now


def clock_from_environment(environ: Mapping[str, str] | None = None) -> Clock:
    """The simulated clock when DUO_SIMULATED_CLOCK_FILE is set (a demo), else the real one."""
    path = (os.environ if environ is None else environ).get(SIMULATED_CLOCK_VARIABLE)
    return file_clock(Path(path)) if path else utc_now
