"""Restarting the embedded PostgreSQL after a kill -9 of its postmaster, whatever process has the pid the killed
one left in its lock file: the new server starts, and that process is left alone."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from devtool.embedded_postgres_server import postgres_running, start_postgres, stop_postgres
from devtool.processes import free_port, port_answers

pytestmark = pytest.mark.integration


def test_a_killed_postmasters_lock_file_naming_a_live_process_does_not_stop_the_restart(tmp_path):
    home = tmp_path / "duo"
    home.mkdir()
    port = free_port()
    lock = home / "pgdata" / "postmaster.pid"
    start_postgres(home, port)
    # Stands for what has the killed postmaster's pid when the new server looks: the postmaster itself, a zombie
    # init has not reaped yet, or a process that got the pid since; run as the server's user, as those are
    # (PostgreSQL takes any process of its user with that pid for a live server, and pg_ctl could signal it).
    user = lock.parent.owner() if os.geteuid() == 0 else None
    stand_in = subprocess.Popen(["sleep", "300"], user=user)
    try:
        os.kill(int(lock.read_text().split()[0]), signal.SIGKILL)
        lines = lock.read_text().split("\n")
        lock.write_text("\n".join([str(stand_in.pid), *lines[1:]]))

        stop_postgres(home)
        start_postgres(home, port)

        assert postgres_running(home) and port_answers(port)
        assert stand_in.poll() is None, "pg_ctl stop signalled the process that has the dead postmaster's pid"
    finally:
        stop_postgres(home)
        stand_in.kill()
        stand_in.wait()
    assert not postgres_running(home)
