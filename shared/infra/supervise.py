"""Waiting for Ctrl-C or SIGTERM, and child processes that die with their parent."""

from __future__ import annotations

import ctypes
import signal
import threading

_PR_SET_PDEATHSIG = 1


def wait_for_stop_signal() -> int:
    """Block until SIGINT or SIGTERM arrives; return the signal number."""
    received: list[int] = []
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    while not stop.wait(0.5):
        pass
    return received[0]


def die_with_parent() -> None:
    """preexec_fn for a child: the kernel sends it SIGTERM if its parent dies, even by SIGKILL."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
