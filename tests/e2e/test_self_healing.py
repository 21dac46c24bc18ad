"""`duo run` heals one part at a time: a dead broker comes back alone, and the stores are published to it again."""

from __future__ import annotations

import asyncio
import signal
import threading

import httpx
import psutil
import pytest

from devtool.processes import owned_processes, port_answers
from devtool.stack import read_endpoints
from devtool.supervise import Part, Supervisor, at_once, backoff_s
from shared.topics import declared_topics
from tests.cli import wait_until
from tests.e2e.conftest import broker_pids, postmaster_pid, service_processes
from tests.e2e.test_walking_skeleton import mentee, reporting_total, staff
from tests.kafka_reading import consumed_through, partition_counts, read_topic


@pytest.mark.e2e
def test_a_dead_broker_is_restarted_alone_and_the_stores_are_published_again(platform):
    home = platform.home
    endpoints = read_endpoints(home)
    assert endpoints is not None, "duo run records its endpoints"
    kafka = endpoints.kafka_bootstrap
    coordinator = staff(home, "coordinator")
    intake, reporting = platform.urls["intake"], platform.urls["reporting"]

    before = httpx.post(f"{intake}/mentees", json=mentee(), headers=coordinator, timeout=10)
    assert before.status_code == 201, before.text
    wait_until(lambda: reporting_total(reporting, home) == 1, 60, "reporting counting the first mentee")
    postmaster = postmaster_pid(home)
    services = {name: p.pid for name, p in service_processes(platform).items()}
    [broker] = owned_processes(str(home), "tansu")

    broker.send_signal(signal.SIGKILL)
    psutil.wait_procs([broker], timeout=10)
    # Intake takes the application while the broker is down: its store is the record.
    after = httpx.post(f"{intake}/mentees", json=mentee("be-brussel"), headers=coordinator, timeout=10)
    assert after.status_code == 201, after.text

    wait_until(
        lambda: bool(broker_pids(home) - {broker.pid}) and port_answers(int(kafka.rsplit(":", 1)[1])),
        60,
        "a new broker answering on the recorded port",
    )
    wait_until(lambda: reporting_total(reporting, home) == 2, 90, "reporting counting both mentees")

    assert platform.process.poll() is None
    assert postmaster_pid(home) == postmaster  # PostgreSQL was not restarted
    assert psutil.pid_exists(postmaster)
    assert {name: p.pid for name, p in service_processes(platform).items()} == services  # nor any service
    logged = platform.log.read_text(errors="replace")
    assert "duo run: kafka exited (its process is gone); restarting (attempt 1)" in logged
    assert "duo run: kafka restarted" in logged

    # The topics came back as declared, not as the services' first questions to the new broker would make them ...
    declared = {t.name: t.partitions for t in declared_topics()}
    assert asyncio.run(partition_counts(kafka, list(declared))) == declared
    # ... the new broker holds the whole history, the mentee of before the kill included ...
    wait_until(lambda: httpx.get(f"{intake}/health").json()["outbox_pending"] == 0, 30, "intake's outbox drained")
    records = asyncio.run(read_topic(kafka, "duo.intake.events", 2))
    assert len({dict(r.headers)["ce_id"] for r in records}) == 2
    # ... and reporting, having read every record of it (copies included), counted nobody twice.
    wait_until(lambda: consumed_through(reporting, records), 60, "reporting consuming the republished log")
    assert reporting_total(reporting, home) == 2


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_backoff_doubles_per_attempt_up_to_30_seconds():
    assert [backoff_s(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_a_part_is_restarted_alone_after_its_backoff_and_counts_again_once_it_stayed_up():
    clock, said, restarted = FakeClock(), list[str](), list[str]()
    down = {"a": False, "b": False}

    def part(name: str) -> Part:
        def restart() -> None:
            restarted.append(name)
            down[name] = False

        return Part(name, lambda: "exited with code 1" if down[name] else None, restart)

    supervisor = Supervisor([part("a"), part("b")], said.append, clock, at_once)
    down["a"] = True
    supervisor.tick()
    assert said == ["a exited with code 1; restarting (attempt 1)"] and restarted == []
    clock.now += 0.25
    supervisor.tick()
    assert restarted == []  # the first pause is 0.5 s
    clock.now += 0.25
    supervisor.tick()
    assert restarted == ["a"] and said[-1] == "a restarted"

    down["a"] = True  # dies again at once: the next pause doubles
    clock.now += 1
    supervisor.tick()
    assert said[-1] == "a exited with code 1; restarting (attempt 2)"
    clock.now += 0.9
    supervisor.tick()
    assert restarted == ["a"]
    clock.now += 0.1
    supervisor.tick()
    assert restarted == ["a", "a"]

    clock.now += 5  # stayed up 5 s: the restart held, the count starts again
    down["a"] = True
    supervisor.tick()
    assert said[-1] == "a exited with code 1; restarting (attempt 1)"
    assert "b" not in restarted


def test_a_part_killed_again_and_again_with_each_restart_holding_is_always_paused_briefly():
    clock, said = FakeClock(), list[str]()
    down = [False]

    def restart() -> None:
        down[0] = False

    supervisor = Supervisor(
        [Part("kafka", lambda: "exited" if down[0] else None, restart)], said.append, clock, at_once
    )
    for _ in range(20):  # killed every 8 s, as a chaos run does
        clock.now += 8
        down[0] = True
        supervisor.tick()
        assert said[-1] == "kafka exited; restarting (attempt 1)"
        clock.now += 0.5
        supervisor.tick()
        assert said[-1] == "kafka restarted"


def test_a_restart_that_fails_is_retried_with_a_longer_pause():
    clock, said = FakeClock(), list[str]()
    tries = []

    def restart() -> None:
        tries.append(clock.now)
        if len(tries) == 1:
            raise RuntimeError("the port is taken")

    supervisor = Supervisor(
        [Part("kafka", lambda: None if len(tries) > 1 else "exited", restart)], said.append, clock, at_once
    )
    supervisor.tick()
    clock.now += 0.5
    supervisor.tick()
    assert said[-1] == "restarting kafka failed (RuntimeError: the port is taken); retrying (attempt 2)"
    clock.now += 0.9
    supervisor.tick()
    assert len(tries) == 1
    clock.now += 0.1
    supervisor.tick()
    assert len(tries) == 2 and said[-1] == "kafka restarted"


def test_a_slow_restart_does_not_hold_up_another_parts():
    """PostgreSQL's restart can take a minute on a loaded machine: meanwhile a killed service is restarted."""
    clock, said = FakeClock(), list[str]()
    postgres_back, down = threading.Event(), {"postgres": True, "intake": False}

    def restart_postgres() -> None:
        assert postgres_back.wait(30), "the test never let PostgreSQL come back"
        down["postgres"] = False

    def restart_intake() -> None:
        down["intake"] = False

    parts = [
        Part("postgres", lambda: "exited" if down["postgres"] else None, restart_postgres, slow=True),
        Part("intake", lambda: "exited with code -9" if down["intake"] else None, restart_intake),
    ]
    supervisor = Supervisor(parts, said.append, clock)  # restarts on threads of their own, as `duo run`'s
    supervisor.tick()
    clock.now += 0.5
    supervisor.tick()  # PostgreSQL's restart starts, and takes its time
    down["intake"] = True
    supervisor.tick()
    clock.now += 0.5
    supervisor.tick()

    def intake_back() -> bool:
        supervisor.tick()
        return "intake restarted" in said

    wait_until(intake_back, 10, "intake restarted while PostgreSQL's restart is still under way")
    assert "postgres restarted" not in said and down["postgres"]
    postgres_back.set()

    def postgres_restarted() -> bool:
        supervisor.tick()
        return "postgres restarted" in said

    wait_until(postgres_restarted, 10, "PostgreSQL's restart, once over, is noted")
    assert said.count("postgres restarted") == 1 and not down["postgres"]
