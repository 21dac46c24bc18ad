"""Issue 23's "done when": two regions and a federation on the embedded stack, each a `duo run` of its own.

West hosts BE and NL, fr hosts FR. In both, mentees are registered, mentors trained, duos formed through matching,
and some duos meet, find a job and end in tracking, on a simulated clock in the last quarter of 2026; each region's
reporting publishes its branches' figures to the federation topic of its own broker, and the federation (a third
`duo run`) serves the roll-up: equal to the regions' own published figures, summed, for registrations, duos formed
and ended and positive exits alike. Nothing of an FR person (mentee or mentor: ids, personal values; nor an FR duo's
id) is in any database, topic or log of west (and the reverse); an FR token is refused by every service of west;
with fr's broker and services killed, west and the federation keep serving, FR's last figures shown stale with their
age, and fresh again once fr is back. Small on purpose (two stacks on a two-core machine): six duos per region,
beats of one second.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import date

import httpx
import pytest

from devtool.cli_services import DEFAULT_PORTS
from tests.cli import duo, start_duo, wait_until
from tests.e2e.conftest import free_port_offset
from tests.e2e.programme_over_http import Sent, form_duos, make_ready, meet_and_end, register_mentees, register_mentors
from tests.e2e.regions import BEAT, Region, everything_stored

pytestmark = pytest.mark.e2e

PUBLISHED = "2026-12-31"
# Six duos formed and five ended with a job in each region: every one of those counts shown in the published quarter
# (at least SUPPRESS_BELOW, five), so the roll-up's sums can be checked for them and not only for registrations.
MENTORS_BE = ["Hendrik", "Ilse", "Joris", "Katrien", "Lieven", "Marijke"]
MENTORS_FR = ["Gaspard", "Honorine", "Isidore", "Jacinthe", "Lazare", "Mahaut"]
FORMED, ENDED = len(MENTORS_BE), 5


def people(region: Region, branch: str, office: str, mentees: list[str], mentors: list[str]) -> Sent:
    """Mentees and as many mentors at `office`, each pair a duo formed on the clock's day (December 10th): every id
    (people's and duos') and personal value sent, and the duos' ids apart under "duos"."""
    intake, coordinator = region.urls["intake"], region.token("coordinator", branch)
    sent = register_mentees(intake, coordinator, office, mentees)
    make_ready(intake, coordinator, sent["ids"])
    trained = register_mentors(intake, coordinator, office, mentors)
    sent["duos"] = form_duos(region.urls["matching"], coordinator, office, len(mentors), date(2026, 12, 10))
    sent["ids"] += trained["ids"] + sent["duos"]
    sent["values"] += trained["values"]
    return sent


@pytest.mark.timeout(900)
def test_two_regions_and_a_federation(tmp_path):
    clock = tmp_path / "simulated-clock"
    clock.write_text("2026-12-10T10:00:00+00:00")
    west = Region(tmp_path, "west", "BE,NL", "fr=FR", clock)
    fr = Region(tmp_path, "fr", "FR", "west=BE,NL", clock)
    federation_home, federation_log = tmp_path / "federation", tmp_path / "federation.log"
    federation_offset = free_port_offset()
    federation_url = f"http://127.0.0.1:{DEFAULT_PORTS['federation'] + federation_offset}"
    federation = None
    try:
        west.start()
        fr.start()
        regions = f"west={west.home},fr={fr.home}"
        federation = start_duo(
            federation_home,
            "run",
            "--federation",
            regions,
            "--port-offset",
            str(federation_offset),
            log=federation_log,
            **BEAT,
        )
        wait_until(
            lambda: "is running" in federation_log.read_text(errors="replace"), 60, "federation running", federation_log
        )

        belgians = people(
            west, "BE", "be-antwerpen", ["Anneke", "Bram", "Corentin", "Dirk", "Elke", "Fien"], MENTORS_BE
        )
        french = people(
            fr, "FR", "fr-paris", ["Zephyrine", "Yolande", "Xavierre", "Wandrille", "Victorin", "Ulysse"], MENTORS_FR
        )
        clock.write_text("2026-12-20T10:00:00+00:00")  # ten days on: some duos met, found a job and ended
        for region, branch, sent in ((west, "BE", belgians), (fr, "FR", french)):
            coordinator, funder = region.token("coordinator", branch), region.token("funder", branch)
            for duo_id in sent["duos"][:ENDED]:
                meet_and_end(region.urls["tracking"], coordinator, duo_id, date(2026, 12, 14), date(2026, 12, 20))

            def counted(region: Region = region, funder: dict = funder) -> bool:
                reporting = region.urls["reporting"]
                mentees = httpx.get(f"{reporting}/stats/mentees", headers=funder, timeout=10).json()["total"]
                figures = httpx.get(f"{reporting}/figures", headers=funder, timeout=10).json()["figures"]
                ended = figures["positive_exit"]
                done = (figures["duos_formed"], ended["denominator"], ended["numerator"]) == (FORMED, ENDED, ENDED)
                return mentees == len(MENTORS_BE) and done

            wait_until(counted, 120, f"{region.name}'s reporting counting its duos formed and ended", region.log)

        clock.write_text("2027-01-05T10:00:00+00:00")  # the quarter is over: each region publishes it at its next beat
        federation_token = {
            "Authorization": f"Bearer {duo(federation_home, 'token', 'issue', '--role', 'federation').stdout.strip()}"
        }

        def rollup() -> dict:
            return httpx.get(f"{federation_url}/figures", headers=federation_token, timeout=10).json()

        def published() -> bool:
            answer = rollup()
            return (
                answer["publication"] == PUBLISHED
                and answer["complete"]
                and not any(r["stale"] for r in answer["regions"].values())
            )

        wait_until(published, 90, "the federation showing both regions' publication of the quarter", federation_log)
        across = rollup()
        own: dict[str, dict] = {}
        for region in (west, fr):
            own[region.name] = httpx.get(
                f"{region.urls['reporting']}/figures",
                headers=region.token("federation", None),
                params={"as_of": "2027-01-04"},
                timeout=10,
            ).json()
            assert own[region.name]["publication"] == PUBLISHED
        # Each branch as its region published it; each total the sum of the regions' published totals.
        for region in (west, fr):
            for branch, row in own[region.name]["by_branch"].items():
                assert {k: v for k, v in across["by_branch"][branch].items() if k != "region"} == row, branch
        for headline, total in across["total"].items():
            parts = [own[r]["total"][headline] for r in ("west", "fr")]
            assert total == (None if None in parts else sum(parts)) if "rate" not in headline else True, headline
        # The headlines the people above make, shown (none small) and summed, region by region.
        made = {"registered": 6, "duos_formed": FORMED, "duos_ended": ENDED, "positive_exits": ENDED}
        made["sustainable_jobs"] = ENDED  # a permanent contract each
        for headline, count in made.items():
            assert across["by_branch"]["BE"][headline] == across["by_branch"]["FR"][headline] == count, headline
            assert own["west"]["total"][headline] == own["fr"]["total"][headline] == count, headline
            assert across["total"][headline] == 2 * count, headline

        # A token for FR, signed by west's own key, is refused by every service of west, naming fr.
        french_coordinator = west.token("coordinator", "FR")
        for service, url in west.urls.items():
            path = {"intake": "/mentees", "matching": "/proposals", "tracking": "/duos", "reporting": "/figures"}[
                service
            ]
            answer = httpx.get(f"{url}{path}", headers=french_coordinator, timeout=10)
            assert answer.status_code == 421 and "region fr hosts it" in answer.text, (service, answer.text)

        # Nothing of an FR person anywhere in west (databases, topics, log), and nothing of a BE person in fr.
        for region, strangers in ((west, french), (fr, belgians)):
            stored = asyncio.run(everything_stored(region.home)) + region.log.read_text(errors="replace")
            assert stored.count("\n") > 10  # the search looked at something
            leaked = [v for v in strangers["ids"] + strangers["values"] if v in stored]
            assert not leaked, (region.name, leaked)
        federation_seen = federation_log.read_text(errors="replace")
        assert not [v for v in french["ids"] + belgians["ids"] + french["values"] if v in federation_seen]

        # fr down, broker and services: west and the federation serve on; FR's last figures are shown, stale, aged.
        fr.kill()
        extra = register_mentees(west.urls["intake"], west.token("coordinator", "NL"), "nl-amsterdam", ["Gijs"])
        assert extra["ids"]

        def fr_stale() -> bool:
            answer, health = rollup(), httpx.get(f"{federation_url}/health", timeout=10).json()
            unreachable = health["regions"]["fr"]["reachable"] is False and health["status"] == "degraded"
            return answer["regions"]["fr"]["stale"] and answer["regions"]["fr"]["age_s"] > 6 and unreachable

        wait_until(fr_stale, 60, "the federation showing fr's figures as stale", federation_log)
        down = rollup()
        assert down["by_branch"]["FR"]["registered"] == 6  # its last figures, never zeros
        assert down["regions"]["west"]["stale"] is False and down["publication"] == PUBLISHED
        assert httpx.get(f"{west.urls['reporting']}/health", timeout=10).json()["status"] in ("ok", "degraded")

        # fr comes back by itself: its relays republish to the new broker, its reporting's next beat is read.
        fr.start()
        wait_until(lambda: rollup()["regions"]["fr"]["stale"] is False, 120, "fr's figures fresh again", federation_log)
        back = rollup()
        assert back["complete"] and back["by_branch"]["FR"]["registered"] == 6 and back["total"]["registered"] == 12
        assert date.fromisoformat(back["publication"]) == date(2026, 12, 31)
    finally:
        if federation is not None and federation.poll() is None:
            federation.send_signal(signal.SIGTERM)
            federation.wait(30)
        fr.stop()
        west.stop()
