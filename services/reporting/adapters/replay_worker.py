"""One process of the rebuild's replay: its share of the topics' partitions, from their beginning, into the table.

Started by `rebuild.replay` as `python -m services.reporting.adapters.replay_worker`, one per core: a Python process
decodes on one core, and the replay was bound by it while the machine's other core stood partly idle. Its
orders come as one JSON line on stdin (the broker's credentials and the digests' key never on a command line),
then `stop` (or the end of stdin) ends it; it writes `progress <facts> <new facts> <checked in full>` after each
batch and `done <peak RSS in MiB>` last, on stdout.

A message whose keyed digest the live ledger keeps for its event id (verified_once.py, docs/adr/0033) is not
verified again; every other one is. The digests are looked up once per fetched batch, by its event ids.

Kafka is read on a thread of its own (prefetch.py) while batches are decoded here and written by the database.
Each batch goes in with one COPY, or, when it holds a fact already there (a relay's retry, a republish),
through a staging table and INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import resource
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import TypeAdapter

from services.reporting.adapters.fast_rows import CANONICAL_UUID, fast_row
from services.reporting.adapters.prefetch import Batches, ThreadedFetcher
from services.reporting.adapters.verified_once import VerifiedOnce, digests_kept
from shared.events.keyfiles import KeyringFile
from shared.events.signing import Verifies
from shared.kafka import KafkaSecurity, aiokafka_options
from shared.regions import Region
from shared.tenancy import Tenant

EVERY_BRANCH = Region()

DEADLOCK_ATTEMPTS = 5
_SECURITY = TypeAdapter(KafkaSecurity)


@dataclass(frozen=True)
class Orders:
    """What one worker replays, and where to."""

    database_url: str
    bootstrap: str
    security: dict[str, str] | None  # a KafkaSecurity's fields
    table: str
    ledger: str  # the live ledger: the staging table's shape
    columns: list[str]
    partitions: list[tuple[str, int]]
    producers: dict[str, str]  # topic -> the service producing it
    keyring_file: str  # the producers' public keys (shared/events/keyfiles.py): what is not signed is not counted
    digest_key: str  # hex of the verified digests' key (verified_once.py)
    trust_kept: bool = True  # False: every message verified, whatever digests the live ledger keeps
    branches: list[str] = dataclasses.field(default_factory=lambda: [t.value for t in Tenant])  # the region's

    def kafka_security(self) -> KafkaSecurity | None:
        """The broker's credentials, validated back into their typed form (protocol and mechanism are Literals)."""
        return _SECURITY.validate_python(self.security) if self.security else None

    def to_line(self) -> str:
        return json.dumps(self.__dict__) + "\n"

    @classmethod
    def from_line(cls, line: str) -> Orders:
        fields = json.loads(line)
        fields["partitions"] = [tuple(p) for p in fields["partitions"]]
        return cls(**fields)


def decode(
    batches: Batches, producers: dict[str, str], keyring: Verifies, region: Region = EVERY_BRANCH
) -> list[tuple]:
    """The ledger rows of a fetched batch; what the live consumer would park is left out, as it is uncounted there
    (another region's branch's events too)."""
    rows = []
    hosted = frozenset(t.value for t in region.branches)
    for records in batches.values():
        for record in records:
            row = fast_row(record, producers, keyring, hosted)
            if row is None:
                row = _careful_row(record, producers, keyring, region)
            if row is not None:
                rows.append(row)
    return rows


def event_ids(batches: Batches) -> list[str]:
    """The canonical event ids (ce_id) of a fetched batch, to look up their digests; any other spelling is left out
    (its message is verified)."""
    ids = []
    for records in batches.values():
        for record in records:
            for name, raw in record.headers or ():
                if name == "ce_id" and raw is not None and CANONICAL_UUID.match(raw.decode(errors="replace")):
                    ids.append(raw.decode())
    return ids


def with_digests(rows: list[tuple], verifier: VerifiedOnce) -> list[tuple]:
    """Each row with the keyed digest of the message it came from, as the rebuilt ledger keeps it (None: the next
    rebuild verifies it)."""
    return [(*row, verifier.passed.get(str(row[0]))) for row in rows]


def _careful_row(record: Any, producers: dict[str, str], keyring: Verifies, region: Region) -> tuple | None:
    """The live consumer's own path, for anything unusual (imported here only: it is rarely needed)."""
    import pydantic

    from services.reporting.adapters.projection import ledger_row
    from shared.consuming.subscriber import admit
    from shared.events.registry import UnknownEventType

    envelope, refusal = admit(record.topic, list(record.headers or ()), record.value, producers, keyring, region)
    if envelope is None or refusal:
        return None  # parked live, never counted: not counted here either
    try:
        *row, data = ledger_row(envelope)
    except (pydantic.ValidationError, UnknownEventType):
        return None  # its data does not fit the catalog: parked live, not counted
    return (*row, json.dumps(data))


async def work(orders: Orders, stopping: asyncio.Event, report: Callable[[int, int, int], None]) -> None:
    """Replay the orders' partitions until `stopping` is set, reporting (facts, new facts, messages checked in full)
    after each batch."""
    if not orders.partitions:  # more workers than partitions
        await stopping.wait()
        return
    # Plain JSONB codecs (COPY speaks binary) and no wait for each batch's WAL flush: the rebuilt table is read by
    # no one until the switch, whose own commit is flushed (every earlier one with it, the WAL being written in
    # order). A crash before it means rebuilding again, as it would anyway.
    writer = await asyncpg.connect(orders.database_url, server_settings={"synchronous_commit": "off"})
    reader = await asyncpg.connect(orders.database_url)  # the digests, looked up while the writer writes
    staging = f"{orders.table}_batch"
    await writer.execute(f"CREATE TEMP TABLE {staging} (LIKE {orders.ledger} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    columns = ", ".join(orders.columns)
    deduped = (
        f"INSERT INTO {orders.table} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT (event_id) DO NOTHING"
    )

    async def write(rows: list[tuple], checked: int) -> None:
        try:
            # Nearly every batch is new facts only: one COPY straight into the table.
            async with writer.transaction():
                await writer.copy_records_to_table(orders.table, records=rows, columns=orders.columns)
            report(len(rows), len(rows), checked)
            return
        except (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError):
            # A fact delivered again (a relay's retry, a republish): this batch goes in deduplicated. A deadlock:
            # another worker was writing the same fact (one republished to another partition); tried again.
            pass
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                async with writer.transaction():
                    await writer.copy_records_to_table(staging, records=rows, columns=orders.columns)
                    status = await writer.execute(deduped)
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
        report(len(rows), int(status.split()[-1]), checked)

    region = Region("replay", frozenset(Tenant(b) for b in orders.branches))
    # Read again when it changes: a rotation during the replay.
    verifier = VerifiedOnce(KeyringFile(Path(orders.keyring_file)), bytes.fromhex(orders.digest_key))
    fetcher = ThreadedFetcher(lambda: _consumer(orders))
    fetcher.start()
    writing: asyncio.Task | None = None  # the previous batch's write, running while the next one is decoded
    try:
        while not stopping.is_set():
            batches = await fetcher.getmany(timeout_ms=200)
            ids = event_ids(batches) if orders.trust_kept else []
            verifier.batch(await digests_kept(reader, orders.ledger, ids) if ids else frozenset())
            rows = with_digests(decode(batches, orders.producers, verifier, region), verifier)
            if writing is not None:
                await writing
                writing = None
            if rows:
                writing = asyncio.create_task(write(rows, len(verifier.checked_in_full)))
            elif verifier.checked_in_full:  # every message refused: what was checked is still said
                report(0, 0, len(verifier.checked_in_full))
        if writing is not None:
            await writing
            writing = None
    finally:
        if writing is not None:
            writing.cancel()
            # Its cancellation (or its own failure) is not the error to report: the one that got us here is.
            with contextlib.suppress(BaseException):
                await writing
        await fetcher.stop()
        await writer.close()
        await reader.close()


async def _consumer(orders: Orders) -> AIOKafkaConsumer:
    security = orders.kafka_security()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=orders.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **aiokafka_options(security),
    )
    await consumer.start()
    consumer.assign([TopicPartition(topic, partition) for topic, partition in orders.partitions])
    return consumer


async def _main(orders: Orders) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def listen() -> None:
        # `stop`, or the end of stdin (the replay that started this worker is gone): finish the batch and end.
        while sys.stdin.readline().strip() not in ("stop", ""):
            pass
        loop.call_soon_threadsafe(stopping.set)

    def report(facts: int, new: int, checked: int) -> None:
        print(f"progress {facts} {new} {checked}", flush=True)

    # A daemon thread: a worker that fails exits at once (its exit code tells the replay), not when told to stop.
    threading.Thread(target=listen, name="replay-worker-stdin", daemon=True).start()
    await work(orders, stopping, report)


def main(argv: Sequence[str] = ()) -> int:
    del argv
    asyncio.run(_main(Orders.from_line(sys.stdin.readline())))
    print(f"done {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
