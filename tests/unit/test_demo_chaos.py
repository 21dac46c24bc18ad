"""The chaos of `duo demo --chaos`: kills drawn from its seed, parts being restarted skipped, differences shown."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from devtool.demo.chaos import Chaos, compare, platform_pids
from tests.cli import wait_until


def sleeper() -> subprocess.Popen:
    """A process for the chaos to kill: it only has to be alive (killed long before its 120 s are up)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def test_the_chaos_kills_the_drawn_parts_and_passes_its_turn_on_a_part_being_restarted():
    alive = {"intake": sleeper(), "kafka": sleeper()}
    try:
        chaos = Chaos(7, ("intake", "kafka", "postgres"), lambda: {n: p.pid for n, p in alive.items()}, (0.01, 0.02))
        chaos.start()
        wait_until(lambda: all(p.poll() is not None for p in alive.values()), 30, "both parts killed")
        kills = chaos.stop()
    finally:
        for process in alive.values():
            process.kill()
    assert {k.part for k in kills} >= {"intake", "kafka"} and "postgres" not in {k.part for k in kills}
    assert [k.pid for k in kills if k.part == "intake"][0] == alive["intake"].pid
    assert alive["intake"].returncode == -9  # SIGKILL, as a crash


def test_figures_compared_line_for_line():
    clean = ["  positive_exit 77%", "  mentor_retention 88%"]
    assert compare(clean, list(clean)) == []
    assert compare(clean, ["  positive_exit 77%", "  mentor_retention 92%"]) == [
        "--- clean run",
        "+++ chaos run",
        "-  mentor_retention 88%",
        "+  mentor_retention 92%",
    ]


def test_a_killed_servers_pid_file_naming_another_process_is_not_taken_for_postgresql(tmp_path: Path):
    # A killed postmaster leaves postmaster.pid behind; its number soon belongs to another process (here the test's
    # own), which the chaos must never kill in PostgreSQL's name.
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "postmaster.pid").write_text(f"{os.getpid()}\n{tmp_path / 'pgdata'}\n")
    assert "postgres" not in platform_pids(os.getpid(), tmp_path)


def test_the_next_pause_starts_only_once_the_platform_is_whole_again(monkeypatch):
    monkeypatch.setattr("devtool.demo.chaos.HEAL_POLL_S", 0.01)
    alive = {"intake": sleeper(), "tracking": sleeper()}
    asked, whole = [], threading.Event()

    def healed() -> bool:
        asked.append(whole.is_set())
        return whole.is_set()

    try:
        chaos = Chaos(3, ("intake", "tracking"), lambda: {n: p.pid for n, p in alive.items()}, (0.01, 0.02), healed)
        chaos.start()
        wait_until(lambda: len(asked) >= 20, 30, "the chaos asking whether the platform is whole")
        assert chaos.kills == [] and all(p.poll() is None for p in alive.values())  # not whole: nothing killed
        whole.set()
        wait_until(lambda: all(p.poll() is not None for p in alive.values()), 30, "both parts killed once whole")
        assert chaos.stop()
    finally:
        for process in alive.values():
            process.kill()


def test_kills_asked_for_go_on_after_the_programme_until_made(monkeypatch):
    monkeypatch.setattr("devtool.demo.chaos.HEAL_POLL_S", 0.01)
    alive = [sleeper() for _ in range(3)]

    def pids() -> dict[str, int]:  # a restarted intake each time, until none is left
        killed = {k.pid for k in chaos.kills}
        left = [p.pid for p in alive if p.pid not in killed]
        return {"intake": left[0]} if left else {}

    try:
        chaos = Chaos(5, ("intake",), pids, (0.01, 0.02))
        chaos.start()
        chaos.at_least(3, 30)
        assert len(chaos.kills) >= 3 and all(p.poll() is not None for p in alive)
        chaos.stop()
    finally:
        for process in alive:
            process.kill()


def test_kills_asked_for_are_waited_for_no_longer_than_allowed():
    chaos = Chaos(5, ("intake",), dict, (60.0, 60.0))  # one pause outlasts the wait
    chaos.start()
    chaos.at_least(1, 0.2)
    assert chaos.stop() == []
