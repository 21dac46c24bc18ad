"""`duo demo` waits for reporting to count the whole programme as long as reporting keeps counting, however far
behind the simulation it is, and names what it counted when its figures stand still."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import pytest

from devtool.demo.platform import settled

URLS = {"reporting": "http://reporting.test"}
FUNDERS = {"BE": "token"}
PROGRAMME = SimpleNamespace(formed={("Flanders", 2025): 10}, duos_ended=10)


def reporting(ended_by_read: list[int]) -> httpx.MockTransport:
    """A reporting whose count of ended duos moves by one read after another (its consumer catching up)."""
    reads = iter(ended_by_read)
    last = {"ended": ended_by_read[0]}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/plan":
            return httpx.Response(200, json={"rows": []})
        last["ended"] = next(reads, last["ended"])
        figures = {"duos_formed": 10, "positive_exit": {"denominator": last["ended"]}}
        return httpx.Response(200, json={"figures": figures})

    return httpx.MockTransport(answer)


def test_a_reporting_still_counting_is_waited_for_beyond_the_stall_window():
    # Twelve reads to catch up, each moving the figures: far longer in all than the 0.05 s window of standing still.
    catching_up = reporting(list(range(0, 11)))
    report = asyncio.run(settled(URLS, FUNDERS, PROGRAMME, stalled_s=0.05, every_s=0.01, transport=catching_up))
    assert report["figures"]["BE"]["positive_exit"]["denominator"] == 10 and report["plan"] == {"rows": []}


def test_a_reporting_that_stopped_counting_is_named_with_what_it_counted():
    stuck = reporting([7])
    with pytest.raises(RuntimeError, match="reporting counted 10 duos formed and 7 ended, not 10 formed and 10 ended"):
        asyncio.run(settled(URLS, FUNDERS, PROGRAMME, stalled_s=0.05, every_s=0.01, transport=stuck))
