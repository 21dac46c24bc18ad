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

from shared.clock import Clock, utc_now

SIMULATED_CLOCK_VARIABLE = "DUO_SIMULATED_CLOCK_FILE"


def file_clock(path: Path) -> Clock:
    """A clock that reads the moment written in `path` (ISO 8601, aware), again whenever the file changes."""
    cache: dict[str, object] = {"mtime": None, "moment": None}

    def now() -> datetime:
        mtime = path.stat().st_mtime_ns
        if mtime != cache["mtime"]:
            moment = datetime.fromisoformat(path.read_text().strip())
            if moment.tzinfo is None:
                raise ValueError(f"{path}: the simulated moment must carry a time zone offset")
            cache.update(mtime=mtime, moment=moment)
        return cache["moment"]  # type: ignore[return-value]

    return now


def clock_from_environment(environ: Mapping[str, str] | None = None) -> Clock:
    """The simulated clock when DUO_SIMULATED_CLOCK_FILE is set (a demo), else the real one."""
    path = (os.environ if environ is None else environ).get(SIMULATED_CLOCK_VARIABLE)
    return file_clock(Path(path)) if path else utc_now
