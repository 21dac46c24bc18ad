"""Waiting for Ctrl-C or SIGTERM, child processes that die with their parent, and healing one part at a time."""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

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


FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
# A restarted part that stays up this long held: its next failure is a new outage, paused as briefly as the
# first. Only a part failing again sooner (a crash loop: a bad setting, a port taken) backs off further, so a
# platform killed again and again, each restart succeeding, is never left down for long pauses.
HELD_S = 5.0


def backoff_s(attempt: int) -> float:
    """The pause before restart attempt `attempt` (1, 2, ...): 0.5 s, 1 s, 2 s ... at most 30 s."""
    return min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** (attempt - 1))


@dataclass
class Part:
    """One supervised part: how to tell it is down (the cause, or None while well) and how to restart it alone."""

    name: str
    problem: Callable[[], str | None]
    restart: Callable[[], object]  # what it returns is ignored
    min_pause_s: float = 0.0  # never restarted sooner after it was found down (see the broker's in cli_services)
    # Restarted on a thread of its own (a server whose restart may take a minute). Never a service: its process
    # is started with PR_SET_PDEATHSIG (die_with_parent), which fires when the *thread* that started it ends.
    slow: bool = False
    attempt: int = 0
    restart_at: float | None = None  # set while it is down: when the next restart is due
    up_since: float = field(default_factory=time.monotonic)


def in_background(work: Callable[[], object]) -> Future[object]:
    """`work` on a thread of its own, a daemon: a slow restart never holds up the platform's exit."""
    future: Future[object] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as err:  # handed to the supervisor, which says what failed and retries
            future.set_exception(err)

    threading.Thread(target=run, name="restart", daemon=True).start()
    return future


def at_once(work: Callable[[], object]) -> Future[object]:
    """`work` done before returning: a tick then sees its restart finished (the tests' clock-driven way)."""
    future: Future[object] = Future()
    try:
        future.set_result(work())
    except Exception as err:
        future.set_exception(err)
    return future


class Supervisor:
    """Heals parts one at a time: a part found down is restarted alone, after a backoff that doubles with each
    attempt that did not hold (HELD_S), while the others are left running and still watched.

    A slow part's restart runs on a thread of its own (`start`): restarting PostgreSQL can take a minute on a
    loaded machine (recovery, then pg_ctl's wait), and a loop that waited for it restarted nothing else
    meanwhile, so a service killed then stayed down (a chaos run's programme gave up after 3 minutes of refused
    connections). A service's restart only starts its process: done at once, on the loop's thread."""

    def __init__(
        self,
        parts: list[Part],
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        start: Callable[[Callable[[], object]], Future[object]] = in_background,
    ) -> None:
        self.parts = parts
        self._say = say
        self._clock = clock
        self._start = start
        self._restarts: dict[str, Future[object]] = {}  # by part: the restart under way
        for part in parts:
            part.up_since = clock()

    def tick(self) -> None:
        """Look at every part once, in order; start the restarts whose backoff has passed, and take note of
        those that finished."""
        for part in self.parts:
            if part.name in self._restarts:
                self._finish(part)
            elif part.restart_at is None:
                cause = part.problem()
                if cause is None:
                    continue
                now = self._clock()
                part.attempt = 1 if now - part.up_since >= HELD_S else part.attempt + 1
                self._say(f"{part.name} {cause}; restarting (attempt {part.attempt})")
                part.restart_at = now + max(part.min_pause_s, backoff_s(part.attempt))
            elif self._clock() >= part.restart_at:
                self._restarts[part.name] = (self._start if part.slow else at_once)(part.restart)
                self._finish(part)

    def _finish(self, part: Part) -> None:
        """Say how `part`'s restart went, once it is over; a failed one is retried after a longer pause."""
        restart = self._restarts[part.name]
        if not restart.done():
            return  # still under way: the other parts are watched and restarted meanwhile
        del self._restarts[part.name]
        err = restart.exception()
        if err is not None:
            part.attempt += 1
            self._say(f"restarting {part.name} failed ({type(err).__name__}: {err}); retrying (attempt {part.attempt})")
            part.restart_at = self._clock() + backoff_s(part.attempt)
        else:
            part.restart_at = None
            part.up_since = self._clock()
            self._say(f"{part.name} restarted")
