"""How long a consumer lets the broker hold a fetch: short while facts flow, longer once they stop.

The embedded broker (Tansu 0.6) answers a fetch that found nothing at its start only at the end of its wait, so a
fact written meanwhile waits for that end: under a steady flow the wait is a floor under every fact's delay.
Asking often costs the broker CPU even when nothing comes (about 1.5 ms a fetch), so a consumer whose freshness
matters asks with `flowing_ms` while batches keep arriving and goes back to `idle_ms` after `idle_after_s` without
one (docs/adr/0038). A real Kafka answers as soon as data arrives: there the flowing wait changes nothing.

aiokafka 0.14 reads the wait from its fetcher (`_fetch_max_wait_ms`) each time it builds a fetch request; it has no
public setter, so `fetcher_of` reaches it; if an upgrade moves it, tests/unit/test_fetch_pace.py fails, and a running
consumer keeps its idle wait (a warning, once) rather than failing its batches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger("consumer")
IDLE_AFTER_S = 1.0  # without a batch for this long, the flow has stopped: back to the idle wait
_WAIT_ATTRIBUTE = "_fetch_max_wait_ms"


def fetcher_of(consumer: Any) -> Any:
    """The object whose `_fetch_max_wait_ms` the consumer's fetch requests read (AIOKafkaConsumer's fetcher)."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, _WAIT_ATTRIBUTE):
        raise TypeError(f"{type(consumer).__name__} has no fetcher with {_WAIT_ATTRIBUTE}: the pace cannot be set")
    return fetcher


@dataclass
class FetchPace:
    """The fetch wait of one consumer: `flowing_ms` from a batch on, `idle_ms` again `idle_after_s` after the last."""

    idle_ms: int
    flowing_ms: int
    idle_after_s: float = IDLE_AFTER_S
    _back_to_idle: asyncio.TimerHandle | None = field(default=None, init=False, repr=False)
    _unsettable: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.flowing_ms <= self.idle_ms:
            raise ValueError(f"flowing_ms must be in (0, idle_ms]: got {self.flowing_ms} and {self.idle_ms}")

    def after_batch(self, consumer: Any) -> None:
        """A batch arrived: fetch with the flowing wait until none has for `idle_after_s`. A consumer whose wait
        cannot be set keeps its idle one (logged once): the batch is applied all the same."""
        if consumer is None or self.flowing_ms == self.idle_ms or self._unsettable:
            return
        try:
            fetcher = fetcher_of(consumer)
        except TypeError as err:
            self._unsettable = True
            log.warning("fetch pace off: the consumer's wait cannot be set", error=str(err))
            return
        setattr(fetcher, _WAIT_ATTRIBUTE, self.flowing_ms)
        if self._back_to_idle is not None:
            self._back_to_idle.cancel()
        loop = asyncio.get_running_loop()
        self._back_to_idle = loop.call_later(self.idle_after_s, setattr, fetcher, _WAIT_ATTRIBUTE, self.idle_ms)
