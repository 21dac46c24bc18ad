"""Stopping a service never hangs: a task that ignores its cancellation, or a client whose close never returns,
is left behind after its wait, and the stop goes on to the next step."""

from __future__ import annotations

import asyncio

import pytest

import shared.runtime as runtime_module
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime


async def test_a_stubborn_task_and_a_close_that_never_returns_do_not_hang_the_stop(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(runtime_module, "STOP_WAIT_S", 0.2)
    runtime = ServiceRuntime(ServiceSettings("intake", "postgresql://unused/unused", "unused:9092"))  # never started
    cancellations = 0

    async def stubborn() -> None:
        nonlocal cancellations
        while cancellations < 2:  # shrugs off the first cancellation, as a task stuck in a cleanup would
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancellations += 1

    closed: list[str] = []

    async def never_closes() -> None:
        await asyncio.Event().wait()

    async def closes() -> None:
        closed.append("the next client")

    runtime._tasks.append(asyncio.create_task(stubborn()))
    runtime._closers += [closes, never_closes]  # closed in reverse: the one that hangs first
    await asyncio.wait_for(runtime.stop(), 30)  # a deadline for a hang, not a measure of speed
    assert cancellations >= 1 and closed == ["the next client"]
