"""Wake the outbox relay after a commit, from a connection of its own, instead of a NOTIFY inside the append.

PostgreSQL serialises the commits of transactions that sent a NOTIFY (each holds one lock on the notification
queue through its commit, WAL flush included), so a NOTIFY in every append kept concurrent commands from
sharing a WAL flush: with 8 writers the store appended about half as fast as without it (docs/adr/0016).
Sent after the commit, in a transaction that writes no WAL, a NOTIFY costs no flush; a burst of commits is
told in one NOTIFY. A lost NOTIFY (a crash between the commit and it, a broken connection) only delays the
event until the relay's safety poll: the outbox row is committed, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import structlog

log = structlog.get_logger("eventstore")

# Commits within this long of a NOTIFY are told by the next one: under load, a NOTIFY per commit would cost the
# server more than the relay (draining anyway) gains.
COALESCE_S = 0.001
# A NOTIFY is a round trip of a fraction of a millisecond: one that takes seconds is on a dead connection.
TIMEOUT_S = 2.0
# Server-side keepalives for the store's long-lived connections (this one, the relay's): PostgreSQL notices a
# vanished client within about 25 s instead of the kernel's two hours.
SERVER_KEEPALIVES = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


# Wakes the relay of this process if it leads (publishes the store) now; False when it does not.
InProcessWakeup = Callable[[], bool]


class OutboxWakeup:
    """`committed()` after each commit that wrote outbox rows; a background task sends the NOTIFY.

    `in_process`: the relay of the same process, woken directly while it leads (OutboxRelay.wake_if_leading), with
    no NOTIFY: a round trip and a statement of the server's saved on nearly every commit (issue 24). A process whose
    relay stands by (another replica leads) NOTIFYs as before."""

    def __init__(
        self, database_url: str, channel: str, coalesce_s: float = COALESCE_S, in_process: InProcessWakeup | None = None
    ) -> None:
        self._database_url = database_url
        self._statement = f"NOTIFY {channel}"
        self._coalesce_s = coalesce_s
        self._pending = False
        self._task: asyncio.Task[None] | None = None
        self._con: asyncpg.Connection | None = None
        self.in_process = in_process

    def committed(self) -> None:
        """Events were committed: the relay hears of it soon (never before this call, so it can see them)."""
        if self.in_process is not None and self.in_process():
            return
        self._pending = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send(), name="outbox-wakeup")

    async def _send(self) -> None:
        while self._pending:
            self._pending = False
            try:
                if self._con is None or self._con.is_closed():
                    self._con = await asyncpg.connect(
                        self._database_url, timeout=TIMEOUT_S, server_settings=SERVER_KEEPALIVES
                    )
                await self._con.execute(self._statement, timeout=TIMEOUT_S)
            except Exception as err:  # whatever it is, the next commit tries again on a new connection
                # The relay's safety poll publishes the events meanwhile: late, never lost.
                log.warning("outbox wake-up not sent", error=type(err).__name__)
                await self._drop_connection()
                return
            await asyncio.sleep(self._coalesce_s)

    async def _drop_connection(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                await con.close(timeout=1)
            except Exception:  # a connection that cannot close cleanly is dropped
                con.terminate()

    async def close(self) -> None:
        """Send what is pending (for a few seconds at most), then close the connection."""
        if self._task is not None:
            # A NOTIFY that cannot go out in time is given up: the relay's safety poll publishes the events.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 2 * TIMEOUT_S)
        await self._drop_connection()
