"""Regions side by side in a test: each a `duo run --region` of its own (its data folder, ports and log), and a
search of everything a region stores. Shared by the regions' end-to-end tests (test_regions.py, test_branch_move.py).
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from devtool.cli_services import DEFAULT_PORTS, SERVICES
from devtool.embedded_postgres_server import SERVICE_DATABASES
from devtool.simulated_clock import SIMULATED_CLOCK_VARIABLE
from shared.endpoints import read_endpoints
from tests.cli import duo, start_duo, wait_until
from tests.e2e.conftest import free_port_offset

BEAT = {"DUO_FEDERATION_FEED_INTERVAL_S": "1", "DUO_FEDERATION_STALE_AFTER_S": "6", "LOG_LEVEL": "INFO"}


class Region:
    """A region's `duo run`: its data folder, ports and log."""

    def __init__(self, root: Path, name: str, branches: str, others: str, clock: Path) -> None:
        self.name, self.branches, self.others, self.clock = name, branches, others, clock
        self.home, self.offset = root / name, free_port_offset()
        self.urls = {s: f"http://127.0.0.1:{DEFAULT_PORTS[s] + self.offset}" for s in SERVICES}
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["run", "--port-offset", str(self.offset), "--region", self.name, "--branches", self.branches]
        env = {**BEAT, SIMULATED_CLOCK_VARIABLE: str(self.clock)}
        self.process = start_duo(self.home, *args, "--other-regions", self.others, log=self.log, **env)
        process = self.process

        def running() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"region {self.name}: duo run exited with {process.returncode}")
            return self.log.read_text(errors="replace").count("is running") >= self.starts

        self.starts = getattr(self, "starts", 0) + 1
        wait_until(running, 120, f"region {self.name} running", self.log)

    def kill(self) -> None:
        """Its services and its broker gone at once (the process and then its servers), as a region that is down."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        duo(self.home, "infra", "down")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        duo(self.home, "infra", "down")

    def token(self, role: str, branch: str | None) -> dict[str, str]:
        issued = duo(self.home, "token", "issue", "--role", role, *(("--branch", branch) if branch else ()))
        assert issued.returncode == 0, issued.stderr
        return {"Authorization": f"Bearer {issued.stdout.strip()}"}


async def stored_rows(home: Path) -> str:
    """Every row of every table of the region's databases, one a line."""
    endpoints = read_endpoints(home)
    assert endpoints is not None
    texts: list[str] = []
    for database in SERVICE_DATABASES:
        con = await asyncpg.connect(endpoints.database_url(database))
        try:
            tables = await con.fetch("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public'")
            for table in tables:
                rows = await con.fetch(f'SELECT t::text AS row FROM public."{table["tablename"]}" t')
                texts += [f"{database}.{table['tablename']}: {r['row']}" for r in rows]
        finally:
            await con.close()
    return "\n".join(texts)


async def stored_messages(home: Path) -> str:
    """Every message of every topic of the region's broker, one a line."""
    endpoints = read_endpoints(home)
    assert endpoints is not None
    texts: list[str] = []
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=endpoints.kafka_bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        for _ in range(20):
            batches = await consumer.getmany(timeout_ms=500)
            texts += [repr((r.key, r.value, r.headers)) for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    return "\n".join(texts)


async def everything_stored(home: Path) -> str:
    """Every row of every table of the region's databases, and every message of every topic of its broker."""
    return await stored_rows(home) + "\n" + await stored_messages(home)
