"""The relay reads its pending events and asks the broker for its log at once (issue 21: two round trips in the
time of one); a failure of either is raised as itself, with nothing left running on the store's connection."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from shared.outbox.relay import OutboxRelay


class _Admin:
    def __init__(self, answer: dict | Exception, delay_s: float = 0.0) -> None:
        self.answer, self.delay_s = answer, delay_s

    async def describe_cluster(self) -> dict:
        await asyncio.sleep(self.delay_s)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class _Connection:
    def __init__(self, rows: list | Exception, delay_s: float = 0.0) -> None:
        self.rows, self.delay_s = rows, delay_s
        self.cancelled = False

    async def fetch(self, query: str, *arguments: object) -> list:
        try:
            await asyncio.sleep(self.delay_s)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if isinstance(self.rows, Exception):
            raise self.rows
        return self.rows


def _relay(admin: _Admin) -> OutboxRelay:
    relay = OutboxRelay("postgresql://unused", "127.0.0.1:9", "t", "intake", chain_key=b"k" * 32, delivery_timeout_s=3)
    relay._admin = admin  # the relay makes its own admin client when it leads
    return relay


async def test_the_broker_is_asked_while_the_events_are_read():
    asked = asyncio.Event()

    class _AskedAdmin(_Admin):
        async def describe_cluster(self) -> dict:
            asked.set()
            return await super().describe_cluster()

    class _ReadUntilAsked(_Connection):
        async def fetch(self, query: str, *arguments: object) -> list:
            await asyncio.wait_for(asked.wait(), 5)  # one after the other, the broker would never be asked by then
            return await super().fetch(query, *arguments)

    relay = _relay(_AskedAdmin({"cluster_id": "log-1"}))
    assert await relay._pending_and_log_id(_ReadUntilAsked(["row"])) == (["row"], "log-1")


async def test_a_broker_that_fails_raises_its_own_error_and_the_read_is_cancelled():
    con = _Connection(["row"], delay_s=5.0)
    relay = _relay(_Admin(KafkaConnectionError("gone")))
    with pytest.raises(KafkaConnectionError):
        await relay._pending_and_log_id(con)
    assert con.cancelled


async def test_a_database_that_fails_raises_its_own_error():
    relay = _relay(_Admin({"cluster_id": "log-1"}, delay_s=5.0))
    with pytest.raises(ConnectionResetError):
        await relay._pending_and_log_id(_Connection(ConnectionResetError()))


async def test_a_relay_cancelled_while_it_asks_is_cancelled_and_leaves_nothing_running():
    """A shutdown's cancellation stays one (the relay's loop would otherwise take it for a failure and start over)."""
    con = _Connection(["row"], delay_s=5.0)
    relay = _relay(_Admin({"cluster_id": "log-1"}, delay_s=5.0))
    asking = asyncio.ensure_future(relay._pending_and_log_id(con))
    await asyncio.sleep(0)  # both started
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    assert con.cancelled


async def test_a_relay_cancelled_while_a_failed_ask_is_being_cleaned_up_is_cancelled():
    """The other's clean-up after a failure is awaited; a cancellation then still wins over the failure."""
    stopping = asyncio.Event()

    class _SlowToStop(_Connection):
        async def fetch(self, query: str, *arguments: object) -> list:
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                stopping.set()
                await asyncio.sleep(0.05)  # a cancel acknowledged by the server a moment later, as asyncpg waits for it
                raise
            return []

    relay = _relay(_Admin(KafkaConnectionError("gone")))
    asking = asyncio.ensure_future(relay._pending_and_log_id(_SlowToStop([])))
    await asyncio.wait_for(stopping.wait(), 5)
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
