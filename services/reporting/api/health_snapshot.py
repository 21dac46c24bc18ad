"""The platform's health as a coordinator's answer carries it: one look shared by the reads of a few seconds.

A look costs a handful of database statements, a metadata request to the broker and, when DUO_SERVICE_URLS is set,
one HTTP request per other service: several milliseconds on a quiet machine, far more on a loaded one, and the
same for every reader. So the answer carries the last look and its age (`checked_at`, `age_s`) instead of
looking again per read (docs/performance.md section 8):

- younger than `fresh_for_s`: answered as it is;
- older than that but younger than `max_age_s`: answered as it is, and one new look starts in the background
  (the next reads get it; concurrent reads never start a second one);
- older than `max_age_s`, never taken, or taken for another list of services (DUO_SERVICE_URLS changed): the read
  waits for a new look, so an answer is never older than `max_age_s` plus one look.

`/health` itself still looks on every call: it is what an orchestrator and `duo` poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.clock import utc_now

FRESH_FOR_S = 2.0
MAX_AGE_S = 10.0


@dataclass
class _Look:
    key: Hashable
    at: float  # the snapshot's clock at the look's start
    checked_at: datetime
    body: dict[str, Any]


@dataclass
class HealthSnapshot:
    """The last look at the platform's health, refreshed as the module docstring says."""

    fresh_for_s: float = FRESH_FOR_S
    max_age_s: float = MAX_AGE_S
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)  # seconds, for the ages
    _last: _Look | None = None
    _refreshing: asyncio.Task[None] | None = field(default=None, repr=False)

    async def read(self, key: Hashable, look: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """The health body with `checked_at` and `age_s`; `key` names what a look covers (the services listed)."""
        last = self._last
        now = self.clock()
        if last is None or last.key != key or now - last.at > self.max_age_s:
            last = await self._take(key, look)
        elif now - last.at > self.fresh_for_s and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh(key, look))
        age = max(0.0, self.clock() - last.at)
        return {**last.body, "checked_at": last.checked_at.isoformat(), "age_s": round(age, 3)}

    async def _take(self, key: Hashable, look: Callable[[], Awaitable[dict[str, Any]]]) -> _Look:
        at, checked_at = self.clock(), utc_now()
        taken = _Look(key, at, checked_at, await look())
        if self._last is None or self._last.at <= at:  # a slower, older look never replaces a newer one
            self._last = taken
        return taken

    async def _refresh(self, key: Hashable, look: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        # A failed background look leaves the last one in place; it ages out after max_age_s and a read looks again.
        with contextlib.suppress(Exception):
            await self._take(key, look)

    async def close(self) -> None:
        """Stop a background look still under way (the app's shutdown)."""
        task, self._refreshing = self._refreshing, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
