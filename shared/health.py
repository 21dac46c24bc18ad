"""Honest health: what a service's `/health` answers, and why.

`gather_checks` looks (database, broker, outbox, each consumer's progress and parked messages), each
look bounded by a short timeout so the endpoint never hangs; `decide` turns what it saw into `ok`,
`degraded` or `failing` with a short sentence per problem. `decide` is pure (unit-tested), so the
rules read in one place:

- the database unreachable: failing (no command, no effect can run);
- the broker unreachable: degraded (commands still work: the outbox keeps the facts);
- the oldest unpublished event older than `stall_after_s`: degraded (the relay is stalled);
- parked events or messages: degraded (an operator has something to look at: `duo parked list`);
- a consumer with messages known to wait and no progress for longer than `stall_after_s`: failing.

The lag here is a hint, from the highwater the consumer's own last fetch saw (shared/consuming/progress.py): what
this replica knows without asking the broker. The broker's view, every partition of the group against its end
offset, is a metric (shared/consuming/group_lag.py), read when /metrics is scraped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from shared.config import PlatformEnvironment
from shared.consuming.group_lag import GroupLag
from shared.consuming.progress import ConsumerProgress
from shared.kafka import KafkaSecurity, aiokafka_options

Status = Literal["ok", "degraded", "failing"]
PROBE_TIMEOUT_S = 2.0  # each look at the database or the broker


def stall_after_s(environ: Mapping[str, str] | None = None) -> float:
    """DUO_STALL_AFTER_S: how long a backlog may go without progress before it counts as stalled (default 60; a bad
    value raises ConfigurationError naming it)."""
    return PlatformEnvironment.from_environ(environ).duo_stall_after_s


@dataclass(frozen=True)
class Reachability:
    """Whether a dependency answered within the timeout; the error's type only, never its text."""

    reachable: bool
    error: str | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class OutboxBacklog:
    """Events appended but not yet acknowledged by the broker, and when the oldest of them was recorded."""

    pending: int
    oldest_recorded_at: datetime | None = None


@dataclass(frozen=True)
class PartitionCheck:
    """One consumed topic-partition: what this process knows reliably."""

    topic: str
    partition: int
    last_offset: int | None  # the last offset processed
    lag_hint: int | None  # messages known to wait, from the consumer's last fetch; None: not known
    assigned: bool | None = None  # False: another consumer of the group has it now (a rebalance)


@dataclass(frozen=True)
class ConsumerCheck:
    """One consumer's progress since this process started, and what it parked (from the database)."""

    name: str
    started_at: datetime
    last_applied_at: datetime | None = None
    applied_since_start: int = 0
    last_processed_at: datetime | None = None
    processed_since_start: int = 0
    failures_since_start: int = 0
    last_failure: str | None = None
    parked_events: int | None = None  # None: not known (database not read)
    parked_messages: int | None = None
    partitions: tuple[PartitionCheck, ...] = ()
    held_events: int | None = None  # waiting for their stream's earlier versions (ordered consumers)
    oldest_held_at: datetime | None = None

    @property
    def waiting(self) -> int:
        """Messages known to wait on partitions still assigned to this process."""
        return sum(p.lag_hint or 0 for p in self.partitions if p.assigned is not False)

    def idle_s(self, now: datetime) -> float:
        """Seconds since the consumer last moved an offset on (or since it started)."""
        return (now - (self.last_processed_at or self.started_at)).total_seconds()


@dataclass(frozen=True)
class Checks:
    """Everything `/health` looked at, at one moment."""

    database: Reachability
    broker: Reachability
    outbox: OutboxBacklog | None = None  # None: the service publishes nothing, or the database was not read
    consumers: tuple[ConsumerCheck, ...] = ()
    unread: tuple[str, ...] = field(default=())  # what could not be read although the database answered
    # The broker's view of each consumer group's lag (shared/consuming/group_lag.py); None: not read.
    group_lag: tuple[GroupLag, ...] | None = None


def decide(checks: Checks, now: datetime, stall_after_s: float) -> tuple[Status, list[str]]:
    """The service's status and a short sentence per problem (pure: the rules of the module docstring)."""
    failing: list[str] = []
    degraded: list[str] = []
    if not checks.database.reachable:
        failing.append(f"the database is unreachable ({checks.database.error or 'no answer'})")
    if not checks.broker.reachable:
        degraded.append(
            f"the broker is unreachable ({checks.broker.error or 'no answer'}): "
            "commands still work, the outbox keeps the facts"
        )
    for what in checks.unread:
        degraded.append(f"could not read {what}")
    outbox = checks.outbox
    if outbox is not None and outbox.pending and outbox.oldest_recorded_at is not None:
        age = (now - outbox.oldest_recorded_at).total_seconds()
        if age > stall_after_s:
            degraded.append(
                f"the oldest of {outbox.pending} unpublished events has waited {age:.0f} s: the outbox relay is stalled"
            )
    for consumer in checks.consumers:
        parked = (consumer.parked_events or 0) + (consumer.parked_messages or 0)
        if parked:
            degraded.append(f"consumer {consumer.name} has {parked} parked (see `duo parked list`)")
        if consumer.held_events and consumer.oldest_held_at is not None:
            held_for = (now - consumer.oldest_held_at).total_seconds()
            if held_for > stall_after_s:  # a moment's hold is normal: a republish puts versions out of order
                degraded.append(
                    f"consumer {consumer.name} holds {consumer.held_events} events whose stream's earlier versions "
                    f"have not arrived for {held_for:.0f} s"
                )
        idle = consumer.idle_s(now)
        if consumer.waiting > 0 and idle > stall_after_s:
            failing.append(
                f"consumer {consumer.name} is stalled: {consumer.waiting} messages wait and "
                f"none was processed for {idle:.0f} s"
            )
    status: Status = "failing" if failing else "degraded" if degraded else "ok"
    return status, failing + degraded


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def checks_json(checks: Checks, now: datetime) -> dict[str, Any]:
    """The `checks` of the `/health` body."""
    outbox = checks.outbox
    return {
        "database": vars(checks.database),
        "broker": vars(checks.broker),
        "outbox": None
        if outbox is None
        else {
            "pending": outbox.pending,
            "oldest_pending_age_s": None
            if outbox.oldest_recorded_at is None
            else round((now - outbox.oldest_recorded_at).total_seconds(), 3),
        },
        "consumers": [
            {
                "name": c.name,
                "started_at": _iso(c.started_at),
                "last_applied_at": _iso(c.last_applied_at),
                "applied_since_start": c.applied_since_start,
                "last_processed_at": _iso(c.last_processed_at),
                "processed_since_start": c.processed_since_start,
                "failures_since_start": c.failures_since_start,
                "last_failure": c.last_failure,
                "parked_events": c.parked_events,
                "parked_messages": c.parked_messages,
                "held_events": c.held_events,
                "oldest_held_age_s": None
                if c.oldest_held_at is None
                else round((now - c.oldest_held_at).total_seconds(), 3),
                "partitions": [vars(p) for p in c.partitions],
            }
            for c in checks.consumers
        ],
    }


class BrokerProbe:
    """A metadata request to the broker through one cached admin client, bounded by a timeout."""

    def __init__(
        self, bootstrap_servers: str, security: KafkaSecurity | None = None, timeout_s: float = PROBE_TIMEOUT_S
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._security = security
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()
        # The broker's cluster id as of the last answer: a new one means a new log (shared/consuming/rewind.py).
        self.cluster_id: str | None = None

    async def check(self) -> Reachability:
        """Reachable when the broker answered a metadata request within the timeout."""
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._metadata(), self._timeout_s)
        except Exception as err:  # a timeout included: the client is rebuilt on the next look
            await self.close()
            return Reachability(False, type(err).__name__)
        return Reachability(True, latency_ms=round((time.monotonic() - started) * 1000, 1))

    async def _metadata(self) -> None:
        async with self._lock:
            if self._admin is None:
                self._admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap_servers,
                    request_timeout_ms=int(self._timeout_s * 1000),
                    **aiokafka_options(self._security),
                )
                await self._admin.start()
            cluster = await self._admin.describe_cluster()
            self.cluster_id = cluster.get("cluster_id") or self.cluster_id

    async def close(self) -> None:
        """Close the cached client, if any."""
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()


_OUTBOX = "SELECT count(*) AS pending, min(e.recorded_at) AS oldest FROM outbox JOIN events e USING (global_position)"
_PARKED = """
SELECT c.consumer,
       (SELECT count(*) FROM parked_events p WHERE p.consumer = c.consumer) AS events,
       (SELECT count(*) FROM parked_messages m WHERE m.consumer = c.consumer) AS messages
FROM unnest($1::text[]) AS c(consumer)
"""
_HELD = """
SELECT consumer, count(*) AS held, min(held_at) AS oldest FROM held_events
WHERE consumer = ANY($1::text[]) GROUP BY consumer
"""
Parked = tuple[int, int, int | None, datetime | None]  # events, messages, held (None: no such table), oldest held


async def _read_database(
    pool: asyncpg.Pool | None, publishes: bool, consumers: Sequence[str], timeout_s: float
) -> tuple[Reachability, OutboxBacklog | None, dict[str, Parked], tuple[str, ...]]:
    if pool is None:
        return Reachability(False, "NotStarted"), None, {}, ()
    started = time.monotonic()
    try:
        async with pool.acquire(timeout=timeout_s) as con:
            await con.fetchval("SELECT 1", timeout=timeout_s)
            reachable = Reachability(True, latency_ms=round((time.monotonic() - started) * 1000, 1))
            outbox, parked, unread = None, {}, []
            if publishes:
                try:
                    row = await con.fetchrow(_OUTBOX, timeout=timeout_s)
                    outbox = OutboxBacklog(row["pending"], row["oldest"])
                except (asyncpg.PostgresError, TimeoutError) as err:
                    unread.append(f"the outbox backlog ({type(err).__name__})")
            if consumers:
                try:
                    rows = await con.fetch(_PARKED, list(consumers), timeout=timeout_s)
                    held: dict[str, tuple[int, datetime]] = {}
                    ordered = await con.fetchval("SELECT to_regclass('held_events') IS NOT NULL", timeout=timeout_s)
                    if ordered:
                        held_rows = await con.fetch(_HELD, list(consumers), timeout=timeout_s)
                        held = {r["consumer"]: (r["held"], r["oldest"]) for r in held_rows}
                    parked = {
                        r["consumer"]: (
                            r["events"],
                            r["messages"],
                            held.get(r["consumer"], (0, None))[0] if ordered else None,
                            held.get(r["consumer"], (0, None))[1],
                        )
                        for r in rows
                    }
                except (asyncpg.PostgresError, TimeoutError) as err:
                    unread.append(f"the parked messages ({type(err).__name__})")
    except Exception as err:  # refused, timed out, pool closed: unreachable all the same
        return Reachability(False, type(err).__name__), None, {}, ()
    return reachable, outbox, parked, tuple(unread)


def _consumer_check(progress: ConsumerProgress, parked: Parked | None) -> ConsumerCheck:
    progress.refresh_highwaters()
    partitions = tuple(
        PartitionCheck(p.topic, p.partition, p.offset, p.lag_hint, progress.assigned(p.topic, p.partition))
        for p in sorted(progress.partitions.values(), key=lambda p: (p.topic, p.partition))
    )
    return ConsumerCheck(
        name=progress.consumer,
        started_at=progress.started_at,
        last_applied_at=progress.last_applied_at,
        applied_since_start=progress.applied,
        last_processed_at=progress.last_processed_at,
        processed_since_start=progress.processed,
        failures_since_start=progress.failures,
        last_failure=progress.last_failure,
        parked_events=parked[0] if parked else None,
        parked_messages=parked[1] if parked else None,
        held_events=parked[2] if parked else None,
        oldest_held_at=parked[3] if parked else None,
        partitions=partitions,
    )


async def gather_checks(
    pool: asyncpg.Pool | None,
    broker: BrokerProbe | None,
    publishes: bool,
    consumers: Sequence[ConsumerProgress] = (),
    timeout_s: float = PROBE_TIMEOUT_S,
) -> Checks:
    """Look at everything at once; no look takes longer than `timeout_s` (the broker's: its probe's timeout)."""
    names = [c.consumer for c in consumers]
    database, reached = await asyncio.gather(
        _read_database(pool, publishes, names, timeout_s),
        broker.check() if broker is not None else _not_probed(),
    )
    reachable, outbox, parked, unread = database
    return Checks(
        database=reachable,
        broker=reached,
        outbox=outbox,
        consumers=tuple(_consumer_check(c, parked.get(c.consumer)) for c in consumers),
        unread=unread,
    )


async def database_reachable(pool: asyncpg.Pool | None, timeout_s: float = PROBE_TIMEOUT_S) -> Reachability:
    """Readiness (`/health/ready`): whether this replica can serve requests, that is, whether its database answers.
    Nothing else counts: a stalled consumer or relay, or the broker out of reach, is the same on every replica,
    and taking them all out of the Service would stop the commands that still work; `/health` and the alerts
    report those."""
    if pool is None:
        return Reachability(False, "NotStarted")
    started = time.monotonic()
    try:
        async with pool.acquire(timeout=timeout_s) as con:
            await con.fetchval("SELECT 1", timeout=timeout_s)
    except Exception as err:  # refused, timed out, pool closed: unreachable all the same
        return Reachability(False, type(err).__name__)
    return Reachability(True, latency_ms=round((time.monotonic() - started) * 1000, 1))


async def _not_probed() -> Reachability:
    return Reachability(False, "NotStarted")
