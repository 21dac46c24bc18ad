"""`duo demo` waits for reporting to count the whole programme as long as reporting keeps counting, however far
behind the simulation it is, and names what it counted when its figures stand still; it reads the figures only
once reporting has read every event the services published, not as soon as the duos add up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest

from devtool.demo.platform import settled

URLS = {service: f"http://{service}.test" for service in ("intake", "matching", "tracking", "reporting")}
FUNDERS = {"BE": "token"}
SCRAPE_TOKEN = "scrape"
PROGRAMME = SimpleNamespace(formed={("Flanders", 2025): 10}, duos_ended=10)


def platform(
    ended_by_read: list[int], lag_by_read: list[int] | None = None, retained: Callable[[int], int] = lambda lag: 9
) -> httpx.MockTransport:
    """A platform whose reporting's count of ended duos moves by one read of the figures after another, and whose
    group lag (intake's events still to read) by one scrape of /metrics after another: its consumers catching up.
    `retained`: the mentors counted as retained, given the lag (an unread withdrawal counts one too many)."""
    ends, lags = iter(ended_by_read), iter(lag_by_read or [0])
    now = {"ended": ended_by_read[0], "lag": (lag_by_read or [0])[0]}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/plan":
            return httpx.Response(200, json={"rows": []})
        if path == "/health":
            consumers = [{"name": "reporting", "held_events": 0}]
            return httpx.Response(200, json={"outbox_pending": 0, "checks": {"consumers": consumers}})
        if path == "/metrics":
            if request.headers.get("Authorization") != f"Bearer {SCRAPE_TOKEN}":
                return httpx.Response(401)
            now["lag"] = next(lags, now["lag"])
            sample = 'duo_consumer_group_lag_messages{group="reporting",partition="0",topic="duo.intake.events"}'
            return httpx.Response(200, text=f"{sample} {now['lag']}.0\n")
        now["ended"] = next(ends, now["ended"])
        figures = {
            "duos_formed": 10,
            "positive_exit": {"denominator": now["ended"]},
            "mentor_retention": {"numerator": retained(now["lag"])},
        }
        return httpx.Response(200, json={"figures": figures})

    return httpx.MockTransport(answer)


def wait(transport: httpx.MockTransport) -> dict:
    waiting = settled(URLS, FUNDERS, PROGRAMME, SCRAPE_TOKEN, stalled_s=0.05, every_s=0.01, transport=transport)
    return asyncio.run(waiting)


def test_a_reporting_still_counting_is_waited_for_beyond_the_stall_window():
    # Twelve reads to catch up, each moving the figures: far longer in all than the 0.05 s window of standing still.
    report = wait(platform(list(range(0, 11))))
    assert report["figures"]["BE"]["positive_exit"]["denominator"] == 10 and report["plan"] == {"rows": []}


def test_the_figures_are_read_once_reporting_read_every_event_not_when_the_duos_add_up():
    # Every duo counted, but a mentor's withdrawal (intake) still on its way: retention one too high until read.
    report = wait(platform([10], lag_by_read=[3, 2, 1, 0], retained=lambda lag: 9 if lag == 0 else 10))
    assert report["figures"]["BE"]["mentor_retention"]["numerator"] == 9


def test_a_reporting_that_stopped_counting_is_named_with_what_it_counted():
    with pytest.raises(RuntimeError, match="reporting counted 10 duos formed and 7 ended, not 10 formed and 10 ended"):
        wait(platform([7]))


def test_a_reporting_that_stopped_reading_is_named_with_the_events_left():
    with pytest.raises(RuntimeError, match="10 duos formed and 10 ended, 4 events still to read"):
        wait(platform([10], lag_by_read=[4]))
