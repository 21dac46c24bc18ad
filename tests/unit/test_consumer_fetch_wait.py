"""How long each service's consumer lets the broker hold an empty fetch (issue 24: the broker's CPU is its polling).

Reporting's figures wait on its consumer, so it keeps the short wait; matching's and tracking's consumers ask the
broker less often (docs/performance.md, "Issue 24, ninth session").
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

import services.matching.app as matching_app
import services.reporting.app as reporting_app
import services.tracking.app as tracking_app
from shared.config import PlatformEnvironment, ServiceSettings
from shared.consuming.subscriber import FETCH_MAX_WAIT_MS, FRESH_FETCH_MAX_WAIT_MS, subscribe
from shared.runtime import ServiceRuntime


class _Started(Exception):
    """Raised by the fake start: the runtime was built, nothing was opened."""


def _settings(service: str) -> ServiceSettings:
    return ServiceSettings(service, f"postgresql://u@db/{service}", "127.0.0.1:9")


@pytest.mark.parametrize("wait_ms", [FRESH_FETCH_MAX_WAIT_MS, FETCH_MAX_WAIT_MS])
def test_the_subscriber_asks_the_broker_to_hold_an_empty_fetch_for_the_wait_given(wait_ms):
    broker = KafkaBroker("127.0.0.1:9")
    subscribe(
        broker, _settings("matching"), SimpleNamespace(name="matching"), {"duo.intake.events": "intake"},
        keyring=SimpleNamespace(), fetch_max_wait_ms=wait_ms,
    )  # fmt: skip
    (subscriber,) = broker.subscribers
    # FastStream keeps the arguments of the AIOKafkaConsumer it makes at start, on its batch subscriber class only:
    # `broker.subscribers` is typed as the public base, which declares neither attribute (hence the two ignores);
    # the consumer is never started here, so these kept arguments are the only place the wait can be read.
    assert subscriber._connection_args["fetch_max_wait_ms"] == wait_ms  # type: ignore[attr-defined]  # see above
    assert subscriber.batch_timeout_ms == wait_ms  # type: ignore[attr-defined]  # see above


def test_the_short_wait_is_shorter_than_the_usual_one():
    assert FRESH_FETCH_MAX_WAIT_MS < FETCH_MAX_WAIT_MS


async def _fetch_waits(app: FastAPI, monkeypatch) -> list[int]:
    """The fetch waits of the subscriptions the app's runtime was built with."""
    seen: list[int] = []

    async def start(runtime: ServiceRuntime) -> None:
        seen.extend(subscription.fetch_max_wait_ms for subscription in runtime.subscriptions)
        raise _Started

    monkeypatch.setattr(ServiceRuntime, "start", start)
    monkeypatch.setattr(ServiceRuntime, "stop", lambda runtime: _nothing())
    with pytest.raises(_Started):
        async with app.router.lifespan_context(app):
            pass
    return seen


async def _nothing() -> None:
    return None


@pytest.mark.parametrize(("module", "service"), [(reporting_app, "reporting"), (matching_app, "matching")])
async def test_reporting_and_matching_keep_the_short_wait_their_readers_need(module, service, monkeypatch):
    # Reporting's figures (the freshness target) and matching's pool (a coordinator's next step) wait on them.
    assert await _fetch_waits(module.create_app(_settings(service)), monkeypatch) == [FRESH_FETCH_MAX_WAIT_MS]


@pytest.mark.parametrize(("module", "service"), [(tracking_app, "tracking")])
async def test_tracking_asks_the_broker_less_often(module, service, monkeypatch):
    assert await _fetch_waits(module.create_app(_settings(service)), monkeypatch) == [FETCH_MAX_WAIT_MS]


def test_a_consumer_heartbeats_as_rarely_as_kafkas_rule_allows():
    """A third of the session timeout, by default and as the services are given it: each heartbeat is a request
    the embedded broker serves (issue 24), and a third still lets a member miss two before it is dropped."""
    environment = PlatformEnvironment.from_environ({})
    assert environment.kafka_heartbeat_interval_ms * 3 == environment.kafka_session_timeout_ms
    settings = _settings("matching")
    assert settings.kafka_heartbeat_interval_ms * 3 == settings.kafka_session_timeout_ms
