"""Live consumer: how many facts per second reporting's consumer applies when it is behind (issue 25).

Reporting runs as a real server (bench/services.py) on fresh topics and a fresh database. N facts of synthetic
programmes (bench/programmes.py: registrations, proposals, duos with their meetings, jobs, endings, surveys,
follow-ups over two branches, some recorded late) are then written to the platform's topics, each on its
producer's topic and signed with its key, as the relays would have, as fast as one producer goes. The consumer
applies them through its ordinary path (fetch, admit, ordered batch: ledger, typed rows, counters, listings, in
one transaction per batch). A poller counts the ledger every POLL_S:
- catch-up per second: what was still to apply when the last fact was written / the time it took to apply it:
  the consumer's rate with a backlog, as after a demo's burst. (Writing goes slowly here, and the consumer has
  applied next to nothing by the time it ends, so the backlog is about all N.)

`duo bench --only consumer [--scale S]` (20,000 facts at scale 1; the runner starts the servers: this
module imports nothing of the runner, which imports it).
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from bench.common import Result, Servers, scaled
from bench.programmes import random_history
from bench.services import running
from shared.events.catalog import PRODUCERS
from shared.events.envelope import EventEnvelope
from shared.events.keyfiles import event_signer
from shared.events.wire import to_kafka
from shared.kafka import new_producer
from shared.topics import topic_of

FACTS_AT_SCALE_1 = 20_000
POLL_S = 0.25
TIMEOUT_S = 1_800.0
PRODUCER_OF = {model.event_type: service for service, models in PRODUCERS.items() for model in models}


def programmes(facts: int, seed: int = 25) -> list[EventEnvelope]:
    """At least `facts` facts of synthetic programmes, the first `facts` of them (each stream's from version 1)."""
    envelopes: list[EventEnvelope] = []
    while len(envelopes) < facts:
        envelopes += random_history(seed + len(envelopes), 200)
    return envelopes[:facts]


async def publish(kafka: str, prefix: str, envelopes: list[EventEnvelope]) -> None:
    """Each fact on its producer's topic, signed as that service's relay signs."""
    signers = {service: event_signer(service).current() for service in PRODUCERS}
    producer = new_producer(kafka)
    await producer.start()
    try:
        sends = []
        for envelope in envelopes:
            service = PRODUCER_OF[envelope.event_type]
            key, value, headers = to_kafka(envelope, service)
            headers = signers[service].sign(headers, value)
            sends.append(producer.send(topic_of(service, prefix), value=value, key=key, headers=headers))
        # Sent together, not each awaited in turn: one send awaited at a time waits for a broker round trip
        # each (about 10 ms here), which the relay, sending a whole outbox read at once, does not.
        for start in range(0, len(sends), 2_000):
            await asyncio.gather(*await asyncio.gather(*sends[start : start + 2_000]))
    finally:
        await producer.stop()


async def one_run(servers: Servers, facts: int) -> dict[str, float]:
    envelopes = programmes(facts)
    async with running(servers, ("reporting",)) as services:
        con = await asyncpg.connect(services.databases["reporting"])
        try:
            started = time.monotonic()
            await publish(services.kafka, services.prefix, envelopes)
            written = time.monotonic()
            backlog = facts - await con.fetchval("SELECT count(*) FROM ledger")
            while (held := await con.fetchval("SELECT count(*) FROM ledger")) < facts:
                if time.monotonic() - started > TIMEOUT_S:
                    raise RuntimeError(f"the ledger holds {held} of {facts} facts after {TIMEOUT_S:.0f} s")
                await asyncio.sleep(POLL_S)
            done = time.monotonic()
            parked = await con.fetchval("SELECT count(*) FROM parked_events")
        finally:
            await con.close()
    return {
        "catch_up_per_s": backlog / max(done - written, 1e-9),
        "backlog": backlog,
        "publish_s": written - started,
        "parked": parked,
    }


def measure(servers: Servers, scale: float = 1.0, repeat: int = 1) -> Result:
    result = Result("consumer")
    facts = scaled(FACTS_AT_SCALE_1, scale, least=500)
    for _ in range(repeat):
        figures = asyncio.run(one_run(servers, facts))
        result.figure("catch-up per second (backlog once all written)", "facts/s").add(figures["catch_up_per_s"])
        result.figure("backlog once all written", "facts", False).add(figures["backlog"])
        result.figure("writing the facts", "s", False).add(figures["publish_s"])
        result.figure("facts parked", "facts", False).add(figures["parked"])
    result.notes = {"facts": facts, "poll_s": POLL_S}
    return result
