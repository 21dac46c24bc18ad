"""The outbox relay: every appended event reaches Kafka at least once, in stream order.

Woken by LISTEN/NOTIFY (the append's NOTIFY is delivered at commit); a slow safety
poll only covers a lost notification, e.g. across a database restart. Pending
events are the rows of `outbox`, deleted once the broker acknowledged them, so
an event whose transaction committed after a higher-numbered one is still
pending and is published on the next pass: nothing is skipped (docs/adr/0004).

A new broker log stays in stream order (docs/adr/0023): right before each batch is sent, the relay asks the
broker its cluster id; a new one (a broker that came back empty) has the whole store queued again and published
from its first event before anything else. A batch handed to the producer before the old broker died is never
delivered to the new one: the producer gives a batch up after DUO_RELAY_DELIVERY_TIMEOUT_S (3 s under `duo run`,
EMBEDDED_DELIVERY_TIMEOUT_S), and `duo run` starts a new broker only after a longer pause (devtool/cli_services.py).
The first leadership of a store that never recorded a log's id (an upgrade from a version before ADR 0023) records
the id of a log that already holds messages without republishing: that log is the one the store was published to.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.config import PlatformEnvironment
from shared.events.envelope import EventEnvelope
from shared.events.keyfiles import event_signer
from shared.events.signing import SigningKey
from shared.events.wire import to_kafka
from shared.eventstore.chain import GENESIS, ChainHead, seal
from shared.eventstore.chain_key import configured_chain_key
from shared.eventstore.postgres import FACT_COLUMNS, OUTBOX_CHANNEL, init_connection, row_to_envelope
from shared.eventstore.wakeup import SERVER_KEEPALIVES
from shared.kafka import KafkaSecurity, aiokafka_options, new_producer

SignerSource = Callable[[], SigningKey]

_LEADER_LOCK = 7_246_002  # one active relay per service database; others stand by
_TOPIC_POLL_S = 0.2  # how often a relay asks a new broker whether its topic is there yet
EMBEDDED_DELIVERY_TIMEOUT_S = 3.0  # what `duo run` gives its services (DUO_RELAY_DELIVERY_TIMEOUT_S)
# The first pending positions, then their events by the unique index: a plan that reads only those rows whatever
# PostgreSQL believes of the outbox's size. The join it replaced (outbox JOIN events ... LIMIT $1), run as a prepared
# statement, got a generic plan that walked the events table in position order: 2,400 blocks a call for 7 events in
# a demo at scale 0.05, a cost that grew with the store (issue 24, docs/performance.md section 7).
# With each event, what sealing the batch needs of the chain, in the same round trip (issue 24): its link if it has one
# (a batch sent again) and the chain's last link, each looked up by its index.
_EVENT_COLUMNS = ("global_position", *FACT_COLUMNS)
_PENDING = f"""
SELECT {", ".join(f"e.{column}" for column in _EVENT_COLUMNS)},
       (SELECT c.chain_hash FROM event_chain c WHERE c.global_position = e.global_position) AS chained,
       (SELECT chain_seq FROM event_chain ORDER BY chain_seq DESC LIMIT 1) AS head_seq,
       (SELECT chain_hash FROM event_chain ORDER BY chain_seq DESC LIMIT 1) AS head_hash
FROM events e
WHERE e.global_position = ANY(ARRAY(SELECT global_position FROM outbox ORDER BY global_position LIMIT $1))
ORDER BY e.global_position
"""

log = structlog.get_logger("outbox")


class OutboxRelay:
    """Publishes one service's pending events to its topic."""

    def __init__(
        self,
        database_url: str,
        bootstrap_servers: str,
        topic: str,
        service: str,
        batch_size: int = 500,
        safety_poll_s: float = 5.0,
        security: KafkaSecurity | None = None,
        chain_key: bytes | None = None,
        signer: SignerSource | None = None,
        delivery_timeout_s: float | None = None,
    ) -> None:
        self._database_url = database_url
        # A batch not acknowledged by then fails: the relay starts over with a fresh producer.
        self._delivery_timeout_ms = int(
            1000 * (delivery_timeout_s or PlatformEnvironment.from_environ().duo_relay_delivery_timeout_s)
        )
        # The key of the store's hash chain; None: the service's own (shared/eventstore/chain_key.py).
        self._chain_key = chain_key or configured_chain_key(service)
        self._bootstrap_servers = bootstrap_servers
        self._security = security  # None: PLAINTEXT (the embedded broker)
        # The service's signing key, asked for each batch (a rotated key signs the next one); None: from the
        # environment (shared/events/keyfiles.py), resolved when the relay starts.
        self._signer = signer
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._cluster_id: str | None = None  # the broker log this leadership publishes to
        self._topic = topic
        self._service = service
        self._batch_size = batch_size
        self._safety_poll_s = safety_poll_s
        self._wake = asyncio.Event()
        self.listening = asyncio.Event()  # set once LISTEN is active: appends from then on wake the relay
        self.published = 0  # events acknowledged by the broker since start, for status and benchmarks

    async def run(self) -> None:
        """Relay until cancelled; reconnects after a database or broker failure."""
        while True:
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # keep relaying: the outbox keeps what was not acknowledged
                # The type only: an error's text can quote data.
                log.warning("outbox relay failed, retrying", error=type(err).__name__, topic=self._topic)
                await asyncio.sleep(1.0)

    def wake_if_leading(self) -> bool:
        """Wake this relay as a NOTIFY would, if it leads now (holds the lock and LISTENs); False if it does not.

        For commits of its own process (shared/eventstore/wakeup.py): they need no NOTIFY while it leads. A wake
        that races with a lost leadership is not lost: a relay that becomes leader again drains the outbox first."""
        if not self.listening.is_set():
            return False
        self._wake.set()
        return True

    async def _run_as_leader(self) -> None:
        async with self.connected() as con:
            while not await con.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK):
                await asyncio.sleep(1.0)  # another relay publishes this store; take over if it dies
            await con.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            self.listening.set()
            log.info("outbox relay started", topic=self._topic)
            while True:
                # Cleared before draining: a commit during the drain (which the drain's read may not see) wakes it
                # again, so the wait below returns at once and none is lost.
                self._wake.clear()
                await self.publish_pending(con)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._safety_poll_s)

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[asyncpg.Connection]:
        """The store's connection, a fresh producer and an admin client, for one leadership."""
        # Server-side keepalives: if this process vanishes, PostgreSQL notices within ~30 s and
        # frees the leader lock for a standby, instead of after the kernel's two hours.
        if self._signer is None:
            self._signer = event_signer(self._service).current
        con = await asyncpg.connect(self._database_url, server_settings=SERVER_KEEPALIVES)
        await init_connection(con)
        # A fresh producer per leadership: after a failed send, a batch still retried inside an
        # old producer could otherwise land after the re-sent events and reorder a stream.
        # No linger: a batch is handed over whole before the producer's sender runs, so its records share requests
        # anyway, and a linger would only delay each pass (5 ms of about 20 at 200 events a second, issue 21).
        self._producer = new_producer(
            self._bootstrap_servers, self._security, request_timeout_ms=self._delivery_timeout_ms, linger_ms=0
        )
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap_servers,
            request_timeout_ms=self._delivery_timeout_ms,
            **aiokafka_options(self._security),
        )
        self._cluster_id = None  # asked again of the broker before the first batch
        try:
            await self._producer.start()
            await self._admin.start()
            yield con
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await self._producer.stop()
            with contextlib.suppress(Exception):
                await self._admin.close()
            with contextlib.suppress(Exception):
                await con.close()

    async def publish_pending(self, con: asyncpg.Connection) -> int:
        """Publish every pending event, oldest first, as of the last read (a batch short of `batch_size` ends the pass:
        what committed since wakes the relay again); returns how many were published."""
        total = 0
        asked = False  # whether this pass asked the broker for its log already
        while True:
            # Right before every batch is sent, and once on a pass with nothing to send, the broker is asked for its
            # log: a new log gets the whole store, even with nothing new. (Asked while the pending events are read.)
            rows, cluster_id = await self._pending_and_log_id(con)
            # The pass that follows a drain ends here: it asked before the drain's last batch a moment ago, and a log
            # lost since is found before the next batch or on the next pass (a NOTIFY, or the safety poll).
            if not rows and asked:
                break
            asked = True
            if await self._new_broker_log(con, cluster_id):
                continue  # the whole store was queued again: read from its first event
            if not rows:
                break
            envelopes = [row_to_envelope(_event_columns(row)) for row in rows]
            # Sealed into the store's hash chain first: the chain's head travels with each event.
            head = ChainHead(
                {row["global_position"]: row["chained"] for row in rows if row["chained"] is not None},
                rows[0]["head_seq"] or 0,
                rows[0]["head_hash"] or GENESIS,
            )
            hashes = await seal(con, envelopes, self._chain_key, head)
            envelopes = [e.model_copy(update={"chain_hash": hashes[e.global_position or 0]}) for e in envelopes]
            acknowledged = await self._send(envelopes)
            # Deleted only after the broker acknowledged: a crash here means a redelivery, never a loss.
            await con.execute(
                "DELETE FROM outbox WHERE global_position = ANY($1::bigint[])",
                [e.global_position for e in envelopes[:acknowledged]],
            )
            total += acknowledged
            self.published += acknowledged
            if acknowledged < len(envelopes):
                raise RelayStalled(envelopes[acknowledged].global_position or 0)
            if len(rows) < self._batch_size:
                # The outbox is drained as of this read, and a commit since has woken the relay (the wake is cleared
                # before each pass): no second read to find nothing, nor a question to the broker for it (issue 24).
                break
        return total

    async def _pending_and_log_id(self, con: asyncpg.Connection) -> tuple[list[asyncpg.Record], str | None]:
        """The pending events and the broker's log id, asked at once: two round trips in the time of one (about 3 ms
        of a 20-ms pass at 200 events a second, issue 21). If either fails, the other is cancelled and awaited
        (nothing is left running on `con`) and the first failure is raised as itself; a cancellation of the relay
        stays a cancellation."""
        reading = asyncio.ensure_future(con.fetch(_PENDING, self._batch_size))
        asking = asyncio.ensure_future(self._broker_log_id())
        try:
            await asyncio.wait((reading, asking), return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in (reading, asking):
                task.cancel()  # a finished task ignores it
            await asyncio.gather(reading, asking, return_exceptions=True)
        for task in (reading, asking):
            if not task.cancelled() and (failure := task.exception()) is not None:
                raise failure
        return reading.result(), asking.result()

    async def _broker_log_id(self) -> str | None:
        """The id of the broker's log (its cluster id; a broker that came back empty has a new one)."""
        assert self._admin is not None, "the relay asks only while it leads"
        cluster_id = (await self._admin.describe_cluster()).get("cluster_id")
        return None if cluster_id is None else str(cluster_id)

    async def _new_broker_log(self, con: asyncpg.Connection, cluster_id: str | None) -> bool:
        """Whether `cluster_id`, the broker's log, is one this store was never published to; if so, queue the whole
        store.

        Asked right before each batch, so nothing new reaches a new log ahead of the events before it."""
        if cluster_id is None or cluster_id == self._cluster_id:
            return False
        await self._until_the_topic_exists()
        self._cluster_id = cluster_id
        async with con.transaction():
            # FOR UPDATE on a missing row locks nothing: the leader lock already makes this relay the only writer.
            known = await con.fetchval("SELECT cluster_id FROM outbox_broker WHERE topic = $1 FOR UPDATE", self._topic)
            if known == cluster_id:
                return False
            await con.execute(
                "INSERT INTO outbox_broker (topic, cluster_id) VALUES ($1, $2) "
                "ON CONFLICT (topic) DO UPDATE SET cluster_id = EXCLUDED.cluster_id, seen_at = now()",
                self._topic,
                cluster_id,
            )
            if known is None and await self._topic_holds_messages():
                # Never recorded (an upgrade from before ADR 0023) and the log is not empty: it is the log this
                # store was published to; republishing a whole store to a real cluster is not what an upgrade does.
                log.info("broker log recorded", topic=self._topic)
                return False
            queued = await _queue_everything(con)
        log.warning(
            "a new broker log: the whole store is published to it again, in order", topic=self._topic, events=queued
        )
        return True

    async def _until_the_topic_exists(self) -> None:
        """Return once the broker has the topic; raise TopicMissing if it still has not after the delivery timeout.

        A broker that came back empty answers before its topics are created again (devtool/stack.py creates them
        right after it answers). The embedded broker takes a record sent to a topic it does not have yet, with the
        partition a producer remembers from the old log, and never serves it once the topic exists: the record
        would be lost to every reader (measured with Tansu 0.6; docs/adr/0023). So nothing is sent to a new log
        before its topic is there; the relay tries again (a new leadership) until it is."""
        assert self._admin is not None, "the relay asks only while it leads"
        deadline = asyncio.get_running_loop().time() + self._delivery_timeout_ms / 1000
        while True:
            described = await self._admin.describe_topics([self._topic])
            if any(t["error_code"] == 0 and t["partitions"] for t in described):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TopicMissing(self._topic)
            await asyncio.sleep(_TOPIC_POLL_S)

    async def _topic_holds_messages(self) -> bool:
        """Whether any partition of the topic has a message kept (end offset beyond the earliest one)."""
        assert self._admin is not None, "the relay asks only while it leads"
        described = await self._admin.describe_topics([self._topic])
        partitions = [TopicPartition(self._topic, p["partition"]) for t in described for p in t["partitions"]]
        if not partitions:
            return False
        offsets = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=self._delivery_timeout_ms,
            **aiokafka_options(self._security),
        )
        await offsets.start()
        try:
            ends, starts = await offsets.end_offsets(partitions), await offsets.beginning_offsets(partitions)
        finally:
            await offsets.stop()
        return any(ends[tp] > starts[tp] for tp in partitions)

    async def _send(self, envelopes: list[EventEnvelope]) -> int:
        """Send a batch; how many, from the first, the broker acknowledged without a gap."""
        assert self._producer is not None and self._signer is not None, "the relay sends only while it leads"
        sends = []
        # Signed here, from the store (the source), so a republish signs what was published before signing.
        signing_key = self._signer()
        try:
            for envelope in envelopes:
                key, value, headers = to_kafka(envelope, self._service)
                headers = signing_key.sign(headers, value)
                # One producer sends a partition's batches in order, so a stream's events stay in order.
                sends.append(await self._producer.send(self._topic, value=value, key=key, headers=headers))
        except Exception as err:  # refused before sending (too large, broker gone): stop at this event
            log.error(
                "event not accepted for sending",
                position=envelopes[len(sends)].global_position,
                error=type(err).__name__,
            )
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, BaseException):
                return index
        return len(outcomes)


def _event_columns(row: asyncpg.Record) -> dict[str, Any]:
    """The event's own columns of a row of `_PENDING` (without what it read of the chain)."""
    return {name: row[name] for name in _EVENT_COLUMNS}


class TopicMissing(Exception):
    """The broker does not have the relay's topic (yet)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"the broker has no topic {topic} yet")


class RelayStalled(RuntimeError):
    """The broker did not take an event; it and everything after it stay in the outbox, in order."""

    def __init__(self, position: int) -> None:
        super().__init__(f"the broker did not acknowledge the event at global position {position}")


async def republish_all(con: asyncpg.Connection) -> int:
    """Queue the whole store for publishing again (`duo outbox republish`)."""
    async with con.transaction():
        queued = await _queue_everything(con)
        await con.execute(f"NOTIFY {OUTBOX_CHANNEL}")
    return queued


async def _queue_everything(con: asyncpg.Connection) -> int:
    status = await con.execute(
        "INSERT INTO outbox (global_position) SELECT global_position FROM events ON CONFLICT DO NOTHING"
    )
    return int(status.split()[-1])
