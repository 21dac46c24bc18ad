"""A branch moved to a region of its own (docs/operations.md, docs/adr/0031): `duo branch move` between two regions.

Region west first hosts BE and FR. FR's mentees and mentors are registered there, duos formed through matching, and
some meet, find a job and end in tracking; a few BE people too. FR is then frozen (west restarted without it) and
region fr started hosting it; a copy is killed midway (after intake's events), the erasure refuses the incomplete
copy, and `duo branch move` run again copies what was missing and erases FR from west. Then fr's reporting shows
the figures west showed for FR; fr's stores hold the same event ids, streams, versions and times; fr's audit chains
verify; a mentee's personal data reads back in fr, and the read of it made in west is in fr's access log; west
holds no id or personal value of FR in any table, its BE figures are unchanged, and its audit chains and access log
verify, naming what was erased and why. A last move finds nothing left to do. Two regions side by side.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.endpoints import read_endpoints, service_database
from tests.cli import duo, environment, wait_until
from tests.e2e.programme_over_http import form_duos, make_ready, meet_and_end, register_mentees, register_mentors
from tests.e2e.regions import Region, stored_rows

pytestmark = pytest.mark.e2e

MENTEES = ["Zephyrine", "Yolande", "Xavierre", "Wandrille", "Victorin", "Ulysse"]
MENTORS = ["Gaspard", "Honorine", "Isidore", "Jacinthe", "Lazare"]
PRODUCERS = ("intake", "matching", "tracking")


async def stored_events(home: Path, branch: str) -> dict[str, list[tuple]]:
    """Each producing service's events of the branch: (event id, stream, version, occurred, recorded), in order."""
    endpoints = read_endpoints(home)
    assert endpoints is not None
    found = {}
    for service in PRODUCERS:
        con = await asyncpg.connect(endpoints.database_url(service_database(service)))
        try:
            rows = await con.fetch(
                "SELECT event_id, stream_id, stream_version, occurred_at, recorded_at FROM events WHERE tenant = $1 "
                "ORDER BY global_position",
                branch,
            )
        finally:
            await con.close()
        found[service] = [tuple(row) for row in rows]
    return found


def killed_after(home: Path, args: list[str], fragment: str) -> str:
    """`duo ARGS` killed (SIGKILL, as a crash) once it printed a line with `fragment`: what it printed until then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devtool.cli", *args], env=environment(home), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if fragment in line and "events copied" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(30)
    return "".join(printed)


def figures(region: Region, branch: str) -> dict:
    funder = region.token("funder", branch)
    answer = httpx.get(f"{region.urls['reporting']}/figures", headers=funder, timeout=10)
    assert answer.status_code == 200, answer.text
    mentees = httpx.get(f"{region.urls['reporting']}/stats/mentees", headers=funder, timeout=10).json()
    return {"figures": answer.json()["figures"], "mentees": mentees}


def audit(region: Region) -> dict[str, str]:
    """`duo audit verify` of each producing service of the region: its output, with its exit code checked."""
    said = {}
    for service in PRODUCERS:
        verified = duo(region.home, "audit", "verify", service)
        assert verified.returncode == 0, (region.name, service, verified.stdout, verified.stderr)
        said[service] = verified.stdout
    return said


@pytest.mark.timeout(900)
def test_a_branch_moves_to_a_region_of_its_own(tmp_path):
    clock = tmp_path / "simulated-clock"
    clock.write_text("2026-12-10T10:00:00+00:00")
    west = Region(tmp_path, "west", "BE,FR", "", clock)
    fr = Region(tmp_path, "fr", "FR", "west=BE", clock)
    try:
        west.start()
        intake, coordinator = west.urls["intake"], west.token("coordinator", "FR")
        french = register_mentees(intake, coordinator, "fr-paris", MENTEES)
        make_ready(intake, coordinator, french["ids"])
        mentors = register_mentors(intake, coordinator, "fr-paris", MENTORS)
        duos = form_duos(west.urls["matching"], coordinator, "fr-paris", len(MENTORS), date(2026, 12, 10))
        clock.write_text("2026-12-20T10:00:00+00:00")
        for duo_id in duos[:3]:
            meet_and_end(west.urls["tracking"], coordinator, duo_id, date(2026, 12, 14), date(2026, 12, 20))
        belgians = register_mentees(intake, west.token("coordinator", "BE"), "be-antwerpen", ["Anneke", "Bram"])
        read_in_west = httpx.get(f"{intake}/mentees/{french['ids'][1]}", headers=coordinator, timeout=10)
        assert read_in_west.status_code == 200  # an access-log entry naming an FR person, which moves with them

        def counted() -> bool:
            seen = figures(west, "FR")
            ended = seen["figures"]["positive_exit"]
            return seen["mentees"]["total"] == len(MENTEES) and (
                seen["figures"]["duos_formed"],
                ended["denominator"],
            ) == (len(MENTORS), 3)

        wait_until(counted, 120, "west's reporting counting FR's duos formed and ended", west.log)
        before, be_before = figures(west, "FR"), figures(west, "BE")
        events_before = asyncio.run(stored_events(west.home, "FR"))
        assert all(events_before[s] for s in PRODUCERS), {s: len(e) for s, e in events_before.items()}

        # Not frozen yet: west still hosts FR, and no region fr recorded: refused, nothing done.
        early = duo(west.home, "branch", "move", "--branch", "FR", "--from", str(west.home), "--to", str(fr.home))
        assert early.returncode == 2 and "records no region" in early.stderr, early.stderr

        # Freeze FR in west; start fr hosting it.
        west.stop()
        west.branches, west.others = "BE", "fr=FR"
        west.start()
        fr.start()
        backwards = duo(west.home, "branch", "copy", "--branch", "FR", "--from", str(fr.home), "--to", str(west.home))
        assert backwards.returncode == 2 and "still hosted by region fr" in backwards.stderr, backwards.stderr
        too_soon = duo(west.home, "branch", "erase", "--branch", "FR", "--from", str(west.home), "--to", str(fr.home))
        assert too_soon.returncode == 2 and "is not copied" in too_soon.stderr, too_soon.stderr

        # A copy that crashes midway: killed once intake's events are committed, before the other services' are.
        moving = ["branch", "move", "--branch", "FR", "--from", str(west.home), "--to", str(fr.home)]
        crashed = killed_after(west.home, ["branch", "copy", *moving[2:]], "intake: ")
        assert f"intake: {len(events_before['intake'])} events copied" in crashed, crashed
        incomplete = duo(west.home, "branch", "erase", *moving[2:])
        assert incomplete.returncode == 2 and "is not copied" in incomplete.stderr, incomplete.stderr
        moved = duo(west.home, *moving)  # run again: it copies what is missing, then erases
        assert moved.returncode == 0, moved.stdout + moved.stderr
        assert "intake: 0 events copied" in moved.stdout, moved.stdout

        # fr: the same events (ids, streams, versions, times, order), the same figures, chains that verify.
        assert asyncio.run(stored_events(fr.home, "FR")) == events_before
        wait_until(lambda: figures(fr, "FR") == before, 120, "fr's reporting showing west's figures of FR", fr.log)
        for service, said in audit(fr).items():
            assert f"verified {len(events_before[service])} events" in said, said
        profile = httpx.get(
            f"{fr.urls['intake']}/mentees/{french['ids'][0]}", headers=fr.token("coordinator", "FR"), timeout=10
        )
        assert profile.status_code == 200, profile.text
        personal = profile.json()["personal"]
        assert (personal["last_name"], personal["email"]) == tuple(french["values"][:2]), personal
        fr_admin = fr.token("branch_admin", "FR")
        log = httpx.get(f"{fr.urls['intake']}/access-log", params={"person": french["ids"][1]}, headers=fr_admin)
        assert [e["action"] for e in log.json()] == ["read_mentee_profile"], log.text  # the read made in west
        assert httpx.get(f"{fr.urls['intake']}/access-log/verification", headers=fr_admin).json()["intact"]

        # west: nothing of FR left in any table; BE as it was; its chains verify, naming what was erased and why.
        rows = asyncio.run(stored_rows(west.home))
        assert "be-antwerpen" in rows and belgians["ids"][0] in rows  # the search looked at west's own rows
        left = [v for v in french["ids"] + mentors["ids"] + duos + french["values"] + mentors["values"] if v in rows]
        assert not left, left
        assert ",FR," not in rows  # no row of the branch's, whatever its ids
        assert figures(west, "BE") == be_before
        west_log = httpx.get(f"{intake}/access-log/verification", headers=west.token("branch_admin", "BE")).json()
        assert west_log["intact"] and west_log["erased_entries"] == 1, west_log
        for service, said in audit(west).items():
            assert f"{len(events_before[service])} erased on purpose: branch FR moved to region fr" in said, said

        # Run again (as after a crash): nothing new copied, nothing left to erase, nothing counted twice.
        again = duo(west.home, *moving)
        assert again.returncode == 0, again.stdout + again.stderr
        assert all(f"{service}: 0 events copied" in again.stdout for service in PRODUCERS), again.stdout
        assert asyncio.run(stored_events(fr.home, "FR")) == events_before
        assert figures(fr, "FR") == before
    finally:
        fr.stop()
        west.stop()
