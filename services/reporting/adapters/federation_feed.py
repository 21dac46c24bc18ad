"""A region's reporting sends its branches' figures to the federation topic of its own cluster, again and again.

Every DUO_FEDERATION_FEED_INTERVAL_S: the publication of the last quarter end that is over is made if it is not yet
(services/reporting/adapters/publications.py), and every stored publication is sent, signed with reporting's event
key, as one message keyed by the region (shared/federation_figures.py). Sending the state again and again, rather
than each publication once, is what lets the federation tell a region that is down (no message for a while) from one
with nothing new, and lets a broker that came back empty have the figures again at the next beat. A failed send is
logged and tried at the next beat: the next message holds everything the lost one did.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from services.reporting.adapters.publications import federation_publication, stored_publications
from services.reporting.domain.federation_feed import region_figures
from services.reporting.domain.publication import publication_date
from shared.clock import utc_now
from shared.config import PlatformEnvironment
from shared.events.keyfiles import event_signer
from shared.federation_figures import RegionFigures
from shared.federation_messages import to_message
from shared.kafka import new_producer
from shared.runtime import ServiceRuntime
from shared.tenancy import TIMEZONES, Tenant
from shared.topics import ensure_topics, federation_topic

log = structlog.get_logger("federation-feed")
SEND_TIMEOUT_MS = 10_000  # a beat whose message is not acknowledged by then is given up: the next one resends


async def current_figures(runtime: ServiceRuntime) -> RegionFigures:
    """The region's figures now: the last quarter's publication made if it is not yet, and every one stored."""
    assert runtime.pool is not None
    region = runtime.settings.region
    # The federation's calendar is the Belgian one (ADR 0025), on the service's clock (a demo's simulated one).
    today = runtime.clock().astimezone(TIMEZONES[Tenant.BE]).date()
    async with runtime.pool.acquire() as con:
        if (published_on := publication_date(None, today)) is not None:
            await federation_publication(con, published_on, region.branches)
        publications = await stored_publications(con)
    return region_figures(region, publications, utc_now())  # the real time: the federation's ages are real


async def feed_the_federation(runtime: ServiceRuntime) -> None:
    """The background job of a region's reporting: the figures sent every interval, until the service stops."""
    settings = runtime.settings
    interval_s = PlatformEnvironment.from_environ().duo_federation_feed_interval_s
    topic = federation_topic(settings.topic_prefix)
    signer = event_signer("reporting")
    producer = None
    try:
        while True:
            try:
                if producer is None:
                    await ensure_topics(settings.kafka_bootstrap_servers, [topic], settings.kafka_security)
                    producer = new_producer(settings.kafka_bootstrap_servers, settings.kafka_security, SEND_TIMEOUT_MS)
                    await producer.start()
                key, value, headers = to_message(await current_figures(runtime), signer.current())
                await producer.send_and_wait(topic.name, value, key, headers=headers)
            except Exception as err:  # the next beat tries again, with a new producer
                log.warning("figures not sent to the federation; the next beat sends them", error=type(err).__name__)
                if producer is not None:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    producer = None
            await asyncio.sleep(interval_s)
    finally:
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()
