"""Waiting for Ctrl-C or SIGTERM, and child processes that die with their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import threading

_PR_SET_PDEATHSIG = 1


class StopSignal:
    """Catches SIGINT and SIGTERM from installation on, so one arriving during start-up is not lost."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _signum, _frame: self._stop.set())

    @property
    def received(self) -> bool:
        """Whether a stop signal arrived."""
        return self._stop.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until a stop signal arrived or `timeout_s` passed; True if one arrived."""
        return self._stop.wait(timeout_s)


def die_with_parent(parent_pid: int):
    """A preexec_fn for a child: the kernel sends it SIGTERM if `parent_pid` dies, even by SIGKILL."""

    def arrange() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return arrange
