"""Library log lines that would flood or alarm during an outage the platform recovers from by design.

- A Kafka client retries its connection to a broker that is down many times a second, each attempt a line
  (thousands in one broker restart): the first line of each kind is kept, and the repeats within
  `REPEAT_WINDOW_S` are dropped, the next line kept saying how many were.
- FastStream logs a failed offset commit as CRITICAL. After a broker restart or a rebalance the commit of a
  batch in hand fails with CommitFailedError by design: the batch is delivered again and the consumers skip
  what they already applied (ADR 5 and 12). It is logged as a warning, not a critical line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REPEAT_WINDOW_S = 60.0
KAFKA_CLIENT = "aiokafka"
RECOVERED_BY_DESIGN = ("CommitFailedError", "IllegalStateError", "RebalanceInProgressError")


class QuietOutages(logging.Filter):
    """Keeps one line per outage of each kind from the Kafka client, and lowers recovered commit failures."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._last: dict[tuple[str, object], float] = {}  # (logger, message template) -> when last kept
        self._dropped: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.CRITICAL and self._recovered_commit(record):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "offset commit failed (broker restart or rebalance); the batch is redelivered", ()
            record.exc_info = record.exc_text = None
            return True
        if not record.name.startswith(KAFKA_CLIENT) or record.levelno < logging.WARNING:
            return True
        key, now = (record.name, record.msg), self._clock()
        last = self._last.get(key)
        if last is not None and now - last < REPEAT_WINDOW_S:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False
        self._last[key] = now
        dropped = self._dropped.pop(key, 0)
        if dropped:
            record.msg = f"{record.msg} (and {dropped} more like it in the last {REPEAT_WINDOW_S:.0f} s)"
        return True

    @staticmethod
    def _recovered_commit(record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        names = {type(error).__name__} if error is not None else set()
        text = record.getMessage()
        return any(name in names or name in text for name in RECOVERED_BY_DESIGN)
