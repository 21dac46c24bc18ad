"""The broker killed (-9) again and again under a load of multi-event streams: after each new broker, every
stream of intake's topic is in version order on it (docs/adr/0023).

`.venv/bin/python -m bench.broker_loss_order [KILLS]` starts `duo run` in a temporary folder, kills its broker
KILLS times (default 10) while coordinators register mentees and change each one's availability three times,
and prints, per kill, the records read back and the streams out of order (none, when the relay holds its
promise). The suite runs the same with fewer kills (tests/e2e/test_broker_loss_order.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

from devtool.processes import owned_processes
from shared.endpoints import read_endpoints

TOPIC = "duo.intake.events"
CHANGES = 3  # availability changes after each registration: streams of four events
MENTEE = {
    "first_name": "Amina",
    "last_name": "Haddad",
    "birth_date": "1996-04-02",
    "nationality": "SY",
    "parent_or_grandparent_born_outside_eu": True,
    "residence_permit": "long_term",
    "languages": ["nl", "ar"],
    "office": "be-antwerpen",
    "job_target": {"sector": "Q", "occupation": "care assistant"},
    "availability": {"hours_per_week": 3, "day_parts": ["tue-evening"]},
    "consent": {"data_processing": True, "voluntary_participation": True},
}
PARTS = ("mon-morning", "tue-evening", "wed-afternoon", "sat-morning")


@dataclass(frozen=True)
class KillReport:
    kill: int
    records: int  # read back from the new broker's topic
    streams: int
    out_of_order: list[str]  # "stream: versions as first seen", for each stream that is not 1, 2, 3 ...


def out_of_order(records: Iterable[tuple[str, int]]) -> list[str]:
    """The streams whose versions, in topic order and each counted at its first appearance, are not 1, 2, 3 ...
    (a redelivered duplicate later on is at-least-once, not disorder)."""
    seen: dict[str, list[int]] = {}
    for stream, version in records:
        versions = seen.setdefault(stream, [])
        if version not in versions:
            versions.append(version)
    return [f"{s}: {v}" for s, v in seen.items() if v != list(range(1, len(v) + 1))]


async def read_streams(bootstrap: str, at_least: int, deadline_s: float = 120) -> list[tuple[str, int]]:
    """(stream, version) of every record on intake's topic, all partitions in offset order, once `at_least` came."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    records = []
    try:
        deadline = time.monotonic() + deadline_s
        while True:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
            if len(records) >= at_least:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{TOPIC}: {len(records)} of {at_least} records within {deadline_s} s")
    finally:
        await consumer.stop()
    headers = [dict(r.headers) for r in records]
    return [(h["ce_subject"].decode(), int(h["ce_streamversion"])) for h in headers]


async def _load(intake: str, headers: dict, stop: asyncio.Event) -> None:
    """Registrations, each followed by CHANGES availability changes, until stopped; failures are retried later
    by nobody: a command not answered simply made no stream."""
    async with httpx.AsyncClient(timeout=10) as client:

        async def one(number: int) -> None:
            try:
                body = {**MENTEE, "email": f"order-{number}-{os.urandom(4).hex()}@example.org"}
                answer = await client.post(f"{intake}/mentees", json=body, headers=headers)
                if answer.status_code != 201:
                    return
                mentee = answer.json()["mentee_id"]
                for change in range(CHANGES):
                    parts = {"hours_per_week": 3, "day_parts": [PARTS[(number + change) % len(PARTS)]]}
                    await client.patch(f"{intake}/mentees/{mentee}", json={"availability": parts}, headers=headers)
            except httpx.HTTPError:
                return

        tasks, number = [], 0
        while not stop.is_set():
            number += 1
            tasks.append(asyncio.create_task(one(number)))
            await asyncio.sleep(0.1)
        await asyncio.gather(*tasks)


async def _stored_events(database_url: str) -> int:
    con = await asyncpg.connect(database_url)
    try:
        return int(await con.fetchval("SELECT count(*) FROM events"))
    finally:
        await con.close()


async def kill_broker_repeatedly(home: Path, intake: str, headers: dict, kills: int) -> list[KillReport]:
    """Kill the broker `kills` times under load; after each new broker, read its topic back and check it."""
    endpoints = read_endpoints(home)
    assert endpoints is not None
    stop, reports = asyncio.Event(), []
    load = asyncio.create_task(_load(intake, headers, stop))
    try:
        for kill in range(1, kills + 1):
            await asyncio.sleep(3)  # load on the broker before it dies
            [broker] = owned_processes(str(home), "tansu")
            broker.send_signal(signal.SIGKILL)
            deadline = time.monotonic() + 60
            while not any(p.pid != broker.pid for p in owned_processes(str(home), "tansu")):
                if time.monotonic() > deadline:
                    raise RuntimeError("no new broker within 60 s")
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # the load goes on against the new broker too
            stored = await _stored_events(endpoints.database_url("duo_intake"))
            records = await read_streams(endpoints.kafka_bootstrap, stored)
            reports.append(KillReport(kill, len(records), len({s for s, _ in records}), out_of_order(records)))
    finally:
        stop.set()
        await load
    return reports


def main(kills: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "duo"
        env = {**os.environ, "DUO_HOME": str(home), "LOG_LEVEL": "WARNING"}
        run = subprocess.Popen(
            [sys.executable, "-m", "devtool.cli", "run", "--port-offset", "300"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert run.stdout is not None
            for line in run.stdout:
                if "is running" in line:
                    break
            token = subprocess.run(
                [sys.executable, "-m", "devtool.cli", "token", "issue", "--branch", "BE", "--role", "coordinator"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            headers = {"Authorization": f"Bearer {token}"}
            reports = asyncio.run(kill_broker_repeatedly(home, "http://127.0.0.1:8301", headers, kills))
        finally:
            run.send_signal(signal.SIGTERM)
            run.wait(60)
    for r in reports:
        verdict = "every stream in version order" if not r.out_of_order else f"OUT OF ORDER: {r.out_of_order[:3]}"
        print(f"kill {r.kill:2}: {r.records:6} records, {r.streams:5} streams: {verdict}")
    passed = sum(not r.out_of_order for r in reports)
    print(f"{passed} of {len(reports)} new brokers held every stream in version order")
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
