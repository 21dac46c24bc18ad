"""The resources one service process owns, opened at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import structlog
from faststream.kafka import KafkaBroker

from shared.clock import Clock, utc_now
from shared.config import ServiceSettings
from shared.consuming.commits import OffsetCommits
from shared.consuming.consumer import Consumer
from shared.consuming.group_lag import GroupLagReader
from shared.consuming.progress import ConsumerProgress
from shared.consuming.rewind import RewindOnNewLog
from shared.consuming.subscriber import FETCH_MAX_WAIT_MS, subscribe
from shared.events.keyfiles import event_keyring
from shared.eventstore.postgres import OUTBOX_CHANNEL, PostgresEventStore, apply_schema, create_pool
from shared.eventstore.wakeup import OutboxWakeup
from shared.health import BrokerProbe, Checks, gather_checks, stall_after_s
from shared.kafka import faststream_security
from shared.migrations import MigrationSet
from shared.outbox.relay import OutboxRelay
from shared.runtime_privileges import grant_runtime_privileges
from shared.topics import declared_topics, ensure_topics, topic_of

log = structlog.get_logger("runtime")
LOG_WATCH_INTERVAL_S = 1.0
METADATA_MAX_AGE_MS = 5_000
ConsumerFactory = Callable[[asyncpg.Pool], Consumer]


@dataclass
class Subscription:
    """A consumer (built once the pool exists) and the topics it reads, each with the one service that may write it."""

    build: ConsumerFactory
    producers: Mapping[str, str]  # topic -> producing service
    # How long the broker may hold a fetch with nothing new: shorter for a consumer that a figure's freshness waits
    # on (shared/consuming/subscriber.py).
    fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS
    # A shorter wait while batches keep arriving (shared/consuming/fetch_pace.py); None: always the one above.
    flowing_fetch_max_wait_ms: int | None = None


@dataclass
class ServiceRuntime:
    """Pool, event store, outbox relay and Kafka subscribers of one service."""

    settings: ServiceSettings
    publishes: bool = True
    # Idempotent DDL run after the migrations, for tables not under them (tests pass their own).
    read_model_ddl: str | None = None
    subscriptions: Sequence[Subscription] = ()
    # One-off steps after the migrations and before anything is consumed or served (such as filling new read
    # models from an older ledger): awaited, so a reader never sees half of one and a failure stops the start.
    before_serving: Sequence[Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = ()
    # Periodic jobs of the service (such as expiring overdue proposals), run until `stop`.
    background: Sequence[Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = ()
    # When its events are recorded (the service's clock: a demo's simulated calendar in a demo).
    clock: Clock = utc_now
    # The service's database, version by version (shared/migrations.py; the event store's come first anyway).
    migrations: Sequence[MigrationSet] = ()
    pool: asyncpg.Pool | None = None
    store: PostgresEventStore | None = None
    relay: OutboxRelay | None = None
    # For /health (shared/health.py): each consumer's progress in this process, the broker probe, and
    # how long a backlog may go without progress (DUO_STALL_AFTER_S).
    progress: list[ConsumerProgress] = field(default_factory=list)
    broker_probe: BrokerProbe | None = None
    group_lag: GroupLagReader | None = None  # the broker's view of the consumer groups' lag, for /metrics
    stall_after_s: float = field(default_factory=stall_after_s)
    # Each branch's Idempotency-Key secret once read from this runtime's database (shared/commanding/idempotency.py).
    branch_secrets: dict[str, bytes] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        """Open everything; the relay and subscribers run in the background until `stop`."""
        s = self.settings
        self.pool = await create_pool(s.database_url, min_size=1, max_size=s.db_pool_size)
        self._closers.append(self._close_pool)
        # Under one lock: replicas starting together take turns (docs/adr/0017: no migration Job). As the owner
        # when there is one, which then grants the runtime role what serving uses (shared/runtime_privileges.py).
        if s.owner_database_url:
            await migrate_as_owner(s.owner_database_url, self.pool, self.read_model_ddl, self.migrations)
        else:
            await apply_schema(self.pool, self.read_model_ddl, self.migrations)
        for step in self.before_serving:
            await step(self)
        # The relay is told of commits after them, not by a NOTIFY inside each (shared/eventstore/wakeup.py).
        wakeup = OutboxWakeup(s.database_url, OUTBOX_CHANNEL) if self.publishes else None
        if wakeup is not None:
            self._closers.append(wakeup.close)
        self.store = PostgresEventStore(self.pool, self.clock, wakeup)
        await ensure_topics(s.kafka_bootstrap_servers, declared_topics(s.topic_prefix), s.kafka_security)
        self.broker_probe = BrokerProbe(s.kafka_bootstrap_servers, s.kafka_security)
        self._closers.append(self.broker_probe.close)
        await self.broker_probe.check()  # opens its client now, so the first /health does not pay for it
        if self.publishes:
            self.relay = OutboxRelay(
                s.database_url,
                s.kafka_bootstrap_servers,
                topic_of(s.service, s.topic_prefix),
                s.service,
                security=s.kafka_security,
            )
            if wakeup is not None:
                wakeup.in_process = self.relay.wake_if_leading  # no NOTIFY for this process's commits while it leads
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{s.service}-outbox-relay"))
        if self.subscriptions:
            broker = KafkaBroker(
                s.kafka_bootstrap_servers,
                logger=logging.getLogger("duo.kafka"),
                security=faststream_security(s.kafka_security),
                # Topics are never created by asking (shared/kafka.py): a consumer that looked while a restarted
                # broker's topics were still being made sees them within seconds, not aiokafka's 5 minutes.
                metadata_max_age_ms=METADATA_MAX_AGE_MS,
            )
            rewinders: list[RewindOnNewLog] = []
            committers: list[OffsetCommits] = []
            groups: dict[str, tuple[str, ...]] = {}
            keyring = event_keyring()  # the producers' public keys: nothing unsigned by its producer is applied
            for subscription in self.subscriptions:
                consumer = subscription.build(self.pool)
                progress, rewind, commits = subscribe(
                    broker,
                    s,
                    consumer,
                    subscription.producers,
                    keyring=keyring,
                    fetch_max_wait_ms=subscription.fetch_max_wait_ms,
                    flowing_fetch_max_wait_ms=subscription.flowing_fetch_max_wait_ms,
                )
                self.progress.append(progress)
                rewinders.append(rewind)
                committers.append(commits)
                groups[s.topic_prefix + consumer.name] = tuple(subscription.producers)  # the group subscribe joins
            self.group_lag = GroupLagReader(s.kafka_bootstrap_servers, groups, s.kafka_security)
            self._closers.append(self.group_lag.close)
            await broker.start()
            self._closers.append(broker.stop)
            # Run before the broker stops (closers run last first): what each consumer kept is committed.
            self._closers.append(functools.partial(_close_all, committers))
            self._tasks.append(
                asyncio.create_task(self._watch_the_log(rewinders), name=f"{s.service}-broker-log-watch")
            )
        for job in self.background:
            self._tasks.append(asyncio.create_task(job(self), name=f"{s.service}-{getattr(job, '__name__', 'job')}"))

    async def _watch_the_log(self, rewinders: Sequence[RewindOnNewLog]) -> None:
        """Tell the consumers the broker's cluster id, as it was at start and then every second: a new one is
        a new log, read again from its beginning (shared/consuming/rewind.py)."""
        assert self.broker_probe is not None
        while True:
            try:
                for rewind in rewinders:
                    await rewind.cluster_seen(self.broker_probe.cluster_id)
            except Exception as err:  # never the end of the watch: the next look tries again
                log.error("watching the broker's log failed", error=type(err).__name__)
            await asyncio.sleep(LOG_WATCH_INTERVAL_S)
            await self.broker_probe.check()  # records the cluster id; an unreachable broker keeps the last one

    async def stop(self) -> None:
        """Close in reverse order of opening; the outbox keeps whatever was not yet published.

        Each step is given STOP_WAIT_S: a task or client that does not stop (a consumer stuck in a commit, a pool
        whose connection a stuck task holds) is logged and left behind, never a shutdown that hangs for ever."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            await _within(task, task.get_name())
        for close in reversed(self._closers):
            await _within(close(), getattr(close, "__qualname__", "a client"))
        self._tasks.clear()
        self._closers.clear()

    async def _close_pool(self) -> None:
        """The pool closed gracefully, or, when a connection is not given back in time, terminated."""
        assert self.pool is not None
        try:
            await asyncio.wait_for(self.pool.close(), STOP_WAIT_S)
        except TimeoutError:
            log.warning("the database pool did not close in time: terminated")
            self.pool.terminate()

    async def health_checks(self, group_lag: bool = False) -> Checks:
        """What /health looks at: database, broker, outbox and each consumer (shared/health.py); with `group_lag`,
        also the consumer groups' lag from the broker (for /metrics: absent when the broker does not answer)."""
        checks = await gather_checks(self.pool, self.broker_probe, self.publishes, self.progress)
        if group_lag and self.group_lag is not None and checks.broker.reachable:
            try:
                checks = replace(checks, group_lag=await self.group_lag.read())
            except Exception as err:  # a scrape without the figure; the next one asks again
                log.warning("could not read the consumer groups' lag", error=type(err).__name__)
        return checks

    async def outbox_pending(self) -> int:
        """Events appended but not yet acknowledged by the broker."""
        assert self.pool is not None, "the runtime is started"
        async with self.pool.acquire() as con:
            pending: int = await con.fetchval("SELECT count(*) FROM outbox")
            return pending


async def migrate_as_owner(
    owner_database_url: str, runtime_pool: asyncpg.Pool, service_ddl: str | None, migrations: Sequence[MigrationSet]
) -> None:
    """Apply the migrations as the database's owner, then grant the runtime role (the pool's user) its privileges."""
    runtime_role = await runtime_pool.fetchval("SELECT current_user")
    owner = await create_pool(owner_database_url, min_size=1, max_size=1)
    try:
        await apply_schema(owner, service_ddl, migrations)
        async with owner.acquire() as con:
            await grant_runtime_privileges(con, runtime_role)
    finally:
        await owner.close()


STOP_WAIT_S = 10.0  # how long stopping waits for each task and client


async def _within(step: Awaitable[Any], what: str) -> None:
    """Wait for `step` at most STOP_WAIT_S; its errors are the end of it, not of the stop (asyncio.wait, unlike
    wait_for, does not wait again for a step that ignores its cancellation)."""
    future = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({future}, timeout=STOP_WAIT_S)
    if not done:
        future.cancel()
        log.warning("did not stop in time: left behind", step=what)
        return
    with contextlib.suppress(asyncio.CancelledError, Exception):
        future.result()


async def _close_all(committers: Sequence[OffsetCommits]) -> None:
    for commits in committers:
        await commits.close()
