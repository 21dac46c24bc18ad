"""A FastStream subscriber that feeds CloudEvents from Kafka into a consumer (by event id, or in stream order).

What one fetch brings (up to BATCH_MAX_RECORDS messages, across partitions) is applied in one database
transaction with the consumer's positions; the Kafka offsets are committed after it, as a hint, at most once a
second (commits.py). If the batch
fails, it changed nothing, and its events are applied one by one, where each error is sorted out.

Every message ends in one of three ways, so that no partition is blocked for ever and nothing is lost:
- applied (or a duplicate, or of no interest): the offset moves on;
- parked with its reason: a message that is not a valid event of the platform (`parked_messages`), an
  event refused for its origin, one whose effect can never succeed, or one that failed DUO_MAX_ATTEMPTS
  times (`parked_events`); the offset moves on and `duo parked replay` applies them once fixed;
- redelivered after a pause that grows with each failure: any other error; a lost database connection
  is retried for as long as it lasts, never counted towards parking.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import asyncpg
import pydantic
import structlog
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

import shared.events.catalog  # noqa: F401  (registers the catalog's event types)
from shared.config import PlatformEnvironment, ServiceSettings
from shared.consuming.commits import OffsetCommits
from shared.consuming.consumer import Consumer
from shared.consuming.fetch_pace import FetchPace
from shared.consuming.idempotent import CONNECTION_ERRORS
from shared.consuming.progress import ConsumerProgress
from shared.consuming.rewind import RewindOnNewLog
from shared.consuming.verified import verified_in_batch
from shared.events.envelope import EventEnvelope
from shared.events.registry import EVENT_REGISTRY
from shared.events.signing import Verifies, verified_form_digest
from shared.events.wire import MalformedMessage, from_kafka, source_of
from shared.regions import Region
from shared.tenancy import OFFICES

log = structlog.get_logger("consumer")
# How long the broker holds a fetch that finds nothing new. The embedded broker (Tansu 0.6) answers a fetch only at
# the end of its wait, looking for new records at its start, halfway through a wait of 250 ms or more, and at its
# end; each fetch costs it about 1.5 ms of CPU whatever the wait, so an idle consumer's cost is set by how often it
# asks (docs/performance.md, "Issue 24, ninth session"). A real Kafka answers as soon as data arrives: either wait
# is then only the idle consumer's pace.
FRESH_FETCH_MAX_WAIT_MS = 100  # seen within a tenth of a second: reporting's figures, matching's pool
FETCH_MAX_WAIT_MS = 280  # seen within 140 ms (the wait halved), for 3.6 fetches a second instead of 10
# While facts flow (fetch_pace.py): a fact waits at most this long for the fetch in progress to end. Reporting's, for a
# registration's freshness through the API at 200 a second (docs/performance.md section 8).
FLOWING_FETCH_MAX_WAIT_MS = 25
BATCH_MAX_RECORDS = 500  # events applied in one transaction, at most
REDELIVERY_PAUSE_S = 1.0  # the pause after a first failure; doubled after each further one
MAX_REDELIVERY_PAUSE_S = 30.0
EVERY_BRANCH = Region()  # no region set: one hosts every branch
_TRACKED_FAILURES = 10_000  # events whose failed attempts are counted at once, at most (memory bound)


def max_attempts(environ: Mapping[str, str] | None = None) -> int:
    """DUO_MAX_ATTEMPTS: after how many failed attempts an event is parked (default 5, at least 1; a bad value
    raises ConfigurationError naming it)."""
    return PlatformEnvironment.from_environ(environ).duo_max_attempts


@runtime_checkable
class ParksMessages(Protocol):
    """A consumer that can keep a Kafka message that is not a valid event (both of shared/consuming/ can)."""

    async def park_message(
        self,
        topic: str,
        partition: int,
        offset: int,
        reason: str,
        headers: list[tuple[str, bytes]],
        value: bytes | None,
    ) -> None:
        """Keep the message with the reason (`parked_messages`)."""
        ...


def subscribe(
    broker: KafkaBroker,
    settings: ServiceSettings,
    consumer: Consumer,
    producers: Mapping[str, str],
    progress: ConsumerProgress | None = None,
    *,
    keyring: Verifies,
    attempts: int | None = None,
    pause_s: float = REDELIVERY_PAUSE_S,
    fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
    flowing_fetch_max_wait_ms: int | None = None,
) -> tuple[ConsumerProgress, RewindOnNewLog, OffsetCommits]:
    """Register a subscriber for the topics of `producers` (topic -> the one service that may write it);
    the offset is committed after the effect (or its parking). Returns the consumer's progress, updated
    per message, for `/health`, and its rewinder, to be told the broker's cluster id as it is seen.

    `keyring`: whose signatures make an event authentic (shared/events/signing.py); `attempts`: failed attempts
    before an event is parked (None: DUO_MAX_ATTEMPTS); `pause_s`: the pause
    after a first failure, doubled after each further one up to MAX_REDELIVERY_PAUSE_S; `fetch_max_wait_ms`: how
    long the broker may hold a fetch with nothing new (FRESH_FETCH_MAX_WAIT_MS where a figure's freshness depends
    on it); `flowing_fetch_max_wait_ms`: a shorter wait while batches keep arriving (fetch_pace.py), None: none.
    """
    progress = progress or ConsumerProgress(consumer.name)
    limit = attempts if attempts is not None else max_attempts()
    # The rewind waits for a commit of the old log's offsets in flight (`commits` is made below, before any batch).
    rewind = RewindOnNewLog(consumer.name, lambda: subscriber.consumer, progress.forget, lambda: commits.settle())
    subscriber = broker.subscriber(
        *producers,
        # Prefixed like the topics, so runs sharing a broker never join each other's group.
        group_id=settings.topic_prefix + consumer.name,
        auto_offset_reset="earliest",
        # Acknowledged here: a failed batch is nacked (redelivered, never skipped), a handled one's offsets are
        # committed by `OffsetCommits`, at most once a second.
        ack_policy=AckPolicy.MANUAL,
        session_timeout_ms=settings.kafka_session_timeout_ms,  # Tansu answers a join after half of it
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        # An idle partition's fetch returns after at most this long (aiokafka's default, 500 ms, would be the floor
        # of every figure's freshness).
        fetch_max_wait_ms=fetch_max_wait_ms,
        # FastStream's own reading would refuse (and so redeliver for ever) a message whose headers are
        # not UTF-8 or whose body is not the JSON its content-type says, before `on_event` could park it.
        parser=_lenient_parser,
        decoder=_undecoded,
        listener=rewind,
        # What one fetch brings (up to BATCH_MAX_RECORDS, across partitions) is applied in one transaction.
        batch=True,
        max_records=BATCH_MAX_RECORDS,
        batch_timeout_ms=fetch_max_wait_ms,
    )

    pace = None if flowing_fetch_max_wait_ms is None else FetchPace(fetch_max_wait_ms, flowing_fetch_max_wait_ms)
    commits = OffsetCommits(consumer.name, lambda: rewind.generation)
    batches = _Batches(consumer, producers, keyring, progress, rewind, commits, limit, pause_s, settings.region, pace)

    @subscriber
    async def on_batch(message: Any) -> None:  # a KafkaMessage, given by `_undecoded`
        """What one fetch brought, across partitions: applied in one transaction, or one by one if that fails."""
        try:
            await batches.on_batch(message)
        except Exception:
            try:
                await message.nack()  # its partitions read again from the batch's first offsets
            except IllegalStateError:  # one was taken away meanwhile: its new holder reads from the committed offset
                log.info("a failed batch's partition was taken away before it was read again", consumer=consumer.name)
            raise
        finally:
            # The decoder's cache holds the message itself (`_undecoded`): a cycle that would keep the batch's
            # records until the garbage collector breaks it, where dropping the last reference frees them now.
            message.clear_cache()

    return progress, rewind, commits


@dataclasses.dataclass
class _Batches:
    """What a consumer's subscriber does with each fetched batch, and what it remembers between batches."""

    consumer: Consumer
    producers: Mapping[str, str]
    keyring: Verifies
    progress: ConsumerProgress
    rewind: RewindOnNewLog
    commits: OffsetCommits
    limit: int  # failed attempts before an event is parked
    pause_s: float
    region: Region  # the branches this deployment hosts: an event of another is parked
    pace: FetchPace | None = None  # the fetch wait while facts flow, if shorter than the idle one
    # Failed attempts per event id of this consumer, in memory: a restart of the process starts the count
    # again (an event then gets up to DUO_MAX_ATTEMPTS more attempts), which is acceptable: it only delays
    # the parking. An entry goes once its event is applied or parked.
    failed: dict[uuid.UUID, int] = dataclasses.field(default_factory=dict)
    outage: int = 0  # consecutive failures for a lost database connection, for the backoff only
    generation_seen: int = 0  # the rewinder's generation when the last batch ended

    def __post_init__(self) -> None:
        self.generation_seen = self.rewind.generation

    def _pause(self, n: int) -> float:
        return float(min(self.pause_s * 2 ** max(n - 1, 0), MAX_REDELIVERY_PAUSE_S))

    async def on_batch(self, message: KafkaMessage) -> None:
        """What one fetch brought, across partitions: applied in one transaction, or one by one if that fails."""
        records: tuple[ConsumerRecord, ...] = message.raw_message  # a batch subscriber: the fetched records
        if self.pace is not None:
            self.pace.after_batch(getattr(message, "consumer", None))
        if self.rewind.generation != self.generation_seen:
            # Fetched, perhaps, before the log started again and the partitions were rewound: left unhandled,
            # and the partitions rewound again (and committed at 0; this batch's offsets never are).
            self.generation_seen = self.rewind.generation
            await self.rewind.rewind_again()
            return
        with self.rewind.handling() as generation:
            try:
                await self._handle(records, getattr(message, "consumer", None))
            except Exception:
                if self.rewind.generation == generation:
                    raise  # redelivered from the batch's first offsets
                # The log started again meanwhile: a redelivery of this batch would undo the rewind. Its events
                # are read again from the beginning of the new log anyway.
                log.warning("a batch of the old log abandoned: its partitions are read again from the beginning")
        self.generation_seen = self.rewind.generation  # this batch's own rewind is done in `after_batch`
        await self.rewind.after_batch()
        # Its offsets, unless the log started again while it was handled (the rewind committed the new log's).
        self.commits.handled(getattr(message, "consumer", None), records, generation)

    async def _apply_one(self, record: ConsumerRecord, envelope: EventEnvelope) -> None:
        """One event on its own: its errors sorted (parked, or raised after a pause, so the batch is redelivered)."""
        with structlog.contextvars.bound_contextvars(
            event_id=str(envelope.event_id), correlation_id=str(envelope.correlation_id)
        ):
            try:
                applied = await self.consumer.handle(envelope)
            except Exception as err:
                # Only the error's type is logged and kept: its text can quote data.
                error = type(err).__name__
                self.progress.failed(error)
                if isinstance(err, CONNECTION_ERRORS):
                    self.outage += 1
                    log.error("database out of reach, will be redelivered", event_type=envelope.event_type, error=error)
                    await asyncio.sleep(self._pause(self.outage))
                    raise
                self.outage = 0
                n = self.failed.get(envelope.event_id, 0) + 1
                if n >= self.limit:
                    await self.consumer.park(envelope, f"failed_{n}_times: {error}")  # raises if it cannot: redelivered
                    self.failed.pop(envelope.event_id, None)
                    self.progress.done(record.topic, record.partition, record.offset, applied=False, parked=True)
                    return
                if envelope.event_id not in self.failed and len(self.failed) >= _TRACKED_FAILURES:
                    self.failed.pop(next(iter(self.failed)))  # the oldest count goes; its event only gets more attempts
                self.failed[envelope.event_id] = n
                log.error(
                    "effect failed, will be redelivered",
                    event_type=envelope.event_type,
                    error=error,
                    attempt=n,
                    parked_after=self.limit,
                )
                await asyncio.sleep(self._pause(n))
                raise
            self.outage = 0
            self.failed.pop(envelope.event_id, None)
            self.progress.done(record.topic, record.partition, record.offset, applied=applied)
            if applied:
                log.debug("event applied", event_type=envelope.event_type)

    async def _one_by_one(self, admitted: list[tuple[ConsumerRecord, EventEnvelope]]) -> None:
        """Each event alone. A partition whose event fails stops there (its later events wait for the redelivery,
        in order); the other partitions go on; then the first failure is raised, so the batch is redelivered."""
        stopped: set[tuple[str, int]] = set()
        first_failure: Exception | None = None
        for record, envelope in admitted:
            if (record.topic, record.partition) in stopped:
                continue
            try:
                await self._apply_one(record, envelope)
            except CONNECTION_ERRORS:
                raise  # the database is out of reach for every partition: one pause, not one per partition
            except Exception as err:
                stopped.add((record.topic, record.partition))
                first_failure = first_failure or err
        if first_failure is not None:
            raise first_failure

    async def _handle(self, records: tuple[ConsumerRecord, ...], client: Any) -> None:
        """Each record admitted or parked for what it is; the admitted applied in one transaction, or one by one."""
        admitted: list[tuple[ConsumerRecord, EventEnvelope]] = []
        verified: dict[uuid.UUID, bytes] = {}  # what each admitted message's verification looked at (verified.py)
        parked: list[ConsumerRecord] = []  # shown as processed once the whole batch went through
        passed: list[ConsumerRecord] = []  # left unread (docs/adr/0036), shown as processed with the batch too
        for record in records:
            self.progress.received(record.topic, record.partition, record.offset, _highwater(client, record), client)
            headers = list(record.headers or ())
            if self.consumer.passes_over(self.producers.get(record.topic), _event_type(headers)):
                passed.append(record)
                continue
            try:
                envelope, invalid = admit(
                    record.topic, headers, record.value, self.producers, self.keyring, self.region
                )
            except Exception as err:  # whatever a stranger's message holds, it never stops the partitions
                envelope, invalid = None, _malformed(err)
            if envelope is None:
                # Not ours to interpret; blocking the partition would stop every later fact.
                await _park_message(self.consumer, record, headers, invalid or "invalid")
                parked.append(record)
            elif invalid is not None:
                # Written by someone other than the topic's producer, or about no office of its branch:
                # never counted, parked with the reason so an operator sees the attempt.
                await self.consumer.park(envelope, invalid)
                parked.append(record)
            else:
                admitted.append((record, envelope))
                verified[envelope.event_id] = _verified_form(headers, record.value)
        with verified_in_batch(verified):
            await self._apply(admitted)
        for record in parked:
            self.progress.done(record.topic, record.partition, record.offset, applied=False, parked=True)
        for record in passed:
            self.progress.done(record.topic, record.partition, record.offset, applied=False)

    async def _apply(self, admitted: list[tuple[ConsumerRecord, EventEnvelope]]) -> None:
        """The admitted events in one transaction, or one by one if that fails."""
        if admitted and any(envelope.event_id in self.failed for _, envelope in admitted):
            # An event that failed before goes alone, so that its failures are counted towards parking it.
            await self._one_by_one(admitted)
        elif admitted:
            try:
                applied = await self.consumer.handle_batch([envelope for _, envelope in admitted])
            except Exception as err:
                # The batch changed nothing: each event again on its own, where its error is sorted out.
                log.debug("batch failed, applying its events one by one", error=type(err).__name__, size=len(admitted))
                await self._one_by_one(admitted)
            else:
                self.outage = 0
                for (record, envelope), effect_ran in zip(admitted, applied, strict=True):
                    self.failed.pop(envelope.event_id, None)
                    self.progress.done(record.topic, record.partition, record.offset, applied=effect_ran)
                log.info("batch applied", size=len(admitted), applied=sum(applied))  # one line per fetch


def _event_type(headers: Sequence[tuple[str, bytes]]) -> str | None:
    """The message's `ce_type`, read as `from_kafka` reads it (the last of a repeated header counts); None if none."""
    found = None
    for name, raw in headers:
        if name == "ce_type":
            found = raw
    return None if found is None else found.decode(errors="replace")


def _verified_form(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> bytes:
    """The digest of what `admit` verified: the headers read as it reads them, the value."""
    return verified_form_digest({name: raw.decode() for name, raw in headers if raw is not None}, value or b"")


async def _lenient_parser(
    records: tuple[ConsumerRecord, ...],
    original: Callable[[tuple[ConsumerRecord, ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's batch parser, given readable headers if it cannot read them; `raw_message` stays the records."""
    try:
        return await original(records)
    except Exception:  # a header that is not UTF-8 (or none at all): parked by `on_batch`, not refused here
        readable = tuple(
            dataclasses.replace(
                r, headers=[(key, (raw or b"").decode(errors="replace").encode()) for key, raw in r.headers or ()]
            )
            for r in records
        )
        message = await original(readable)
        message.raw_message = records
        return message


async def _undecoded(message: StreamMessage[Any]) -> Any:
    """The message itself, as the handler's one argument: `on_batch` reads the records, and parks what is not a
    valid event. Not FastStream's `KafkaMessage` annotation: that is a context field, which fast_depends resolves
    on a worker thread (its `use` is not a coroutine), a hand-over to a thread and back for every batch (about 7% of
    reporting's samples at 200 registrations a second, and a wait for the interpreter's lock: docs/adr/0041)."""
    return message


def _highwater(client: Any, record: ConsumerRecord) -> int | None:
    """The partition's highwater as of the consumer's last fetch (aiokafka's `highwater`), if it has one."""
    highwater = getattr(client, "highwater", None)
    if highwater is None:
        return None
    try:
        seen = highwater(TopicPartition(record.topic, record.partition))
    except Exception:  # not assigned any more
        return None
    return seen if isinstance(seen, int) else None


async def _park_message(
    consumer: Consumer, record: ConsumerRecord, headers: list[tuple[str, bytes]], reason: str
) -> None:
    if isinstance(consumer, ParksMessages):
        await consumer.park_message(record.topic, record.partition, record.offset, reason, headers, record.value)
        return
    log.error(  # a consumer of another kind: logged (never the value) and skipped, as before
        "skipping a message that is not a valid event",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        reason=reason,
    )


def admit(
    topic: str,
    headers: Sequence[tuple[str, bytes]],
    value: bytes | None,
    producers: Mapping[str, str],
    keyring: Verifies,
    region: Region = EVERY_BRANCH,
) -> tuple[EventEnvelope | None, str | None]:
    """Read a Kafka message as an event of the platform.

    (None, reason): not a valid event of the platform, or not vouched for by its producer's signature (to park
    in `parked_messages`, headers and value kept: `duo parked replay` verifies it again, say once the keyring
    has a key it lacked);
    (envelope, reason): a valid event that must not be applied for its origin (to park as an event);
    (envelope, None): an event to apply.
    """
    try:
        envelope = from_kafka(value, headers)  # type: ignore[arg-type]  # a missing value is malformed
    except MalformedMessage as err:
        return None, _malformed(err.__cause__)
    except Exception as err:  # a header that is not UTF-8, or anything else unreadable: never block the partition
        return None, _malformed(err)
    if envelope.event_type not in EVENT_REGISTRY.models():
        return None, f"unknown_event_type: {envelope.event_type[:100]!r} is not in the catalog"
    if refusal := _origin_refusal(topic, headers, envelope, producers):
        return envelope, refusal
    if refusal := region.refusal(envelope.tenant):
        return envelope, f"foreign_branch: {refusal}"  # misrouted or forged: kept for an operator, never applied
    # Read as `from_kafka` read them (the last of a repeated header counts), so what is verified is what is applied.
    # A header without a value reads as an absent one there and here.
    attributes = {name: raw.decode() for name, raw in headers if raw is not None}
    if refusal := keyring.refusal(topic, attributes, value or b"", producers):
        return None, refusal
    return envelope, None


def _malformed(cause: BaseException | None) -> str:
    """Why a message is not a DUO CloudEvent (from the error that showed it), without quoting its data."""
    if cause is None:
        return "malformed_envelope: unsupported CloudEvents specversion"
    if isinstance(cause, KeyError):
        return f"malformed_envelope: no {cause.args[0]} header"
    if isinstance(cause, TypeError):
        return "malformed_envelope: no value"
    if isinstance(cause, pydantic.ValidationError):
        fields = sorted({".".join(str(part) for part in e["loc"]) for e in cause.errors()})
        if fields == ["tenant"]:
            return "unknown_branch: the tenant is not a branch of the platform"
        return f"malformed_envelope: invalid {', '.join(fields)}"
    if isinstance(cause, UnicodeDecodeError):
        return "malformed_envelope: a header is not UTF-8"
    if isinstance(cause, ValueError) and type(cause).__name__ == "JSONDecodeError":
        return "malformed_envelope: the value is not JSON"
    return f"malformed_envelope: {type(cause).__name__}"


def unauthorised_origin(record: ConsumerRecord, envelope: EventEnvelope, producers: Mapping[str, str]) -> str | None:
    """Why an event must not be applied though it is well formed: its CloudEvents source is not the declared
    producer of the topic it came from, or its office is unknown or not of its branch. None when it may."""
    return _origin_refusal(record.topic, list(record.headers or ()), envelope, producers)


def _origin_refusal(
    topic: str, headers: Sequence[tuple[str, bytes]], envelope: EventEnvelope, producers: Mapping[str, str]
) -> str | None:
    source = (dict(headers).get("ce_source") or b"").decode(errors="replace")
    producer = producers.get(topic)
    if producer is None or source != source_of(producer):
        return f"forged_source: {source!r} is not the producer of {topic}"
    if envelope.office not in OFFICES or OFFICES[envelope.office][0] != envelope.tenant:
        return f"unknown_office: {envelope.office!r} is not an office of branch {envelope.tenant}"
    return None


_ONE_MESSAGE = 'consumer = $1 AND topic = $2 AND partition = $3 AND "offset" = $4'


async def replay_parked_messages(
    pool: asyncpg.Pool,
    consumer: Consumer,
    producers: Mapping[str, str],
    keyring: Verifies,
    region: Region = EVERY_BRANCH,
) -> tuple[int, int]:
    """Read every message `consumer` parked as invalid again (after an upgrade that knows it, say).

    A message that is still invalid stays parked (with its reason brought up to date); a valid one goes
    through the consumer (or is parked as an event, if refused for its origin or its effect can never
    apply) and leaves `parked_messages`. One whose effect fails otherwise stays. Returns (resolved, still parked).
    """
    async with pool.acquire() as con:
        rows = await con.fetch(
            'SELECT topic, partition, "offset", reason, headers, value FROM parked_messages WHERE consumer = $1 '
            'ORDER BY topic, partition, "offset"',
            consumer.name,
        )
    resolved = 0
    for row in rows:
        headers = [(key, text.encode() if text is not None else b"") for key, text in row["headers"]]
        envelope, invalid = admit(row["topic"], headers, row["value"], producers, keyring, region)
        key = (consumer.name, row["topic"], row["partition"], row["offset"])
        if envelope is None:
            async with pool.acquire() as con:
                await con.execute(
                    f"UPDATE parked_messages SET reason = $5 WHERE {_ONE_MESSAGE}",
                    *key,
                    invalid,
                )
            continue
        try:
            if invalid is not None:
                await consumer.park(envelope, invalid)
            else:
                await consumer.handle(envelope)  # parks it as an event if its effect can never apply
        except Exception as err:
            log.error("parked message still fails", topic=row["topic"], offset=row["offset"], error=type(err).__name__)
            continue
        async with pool.acquire() as con:
            await con.execute(
                f"DELETE FROM parked_messages WHERE {_ONE_MESSAGE}",
                *key,
            )
        resolved += 1
    return resolved, len(rows) - resolved
