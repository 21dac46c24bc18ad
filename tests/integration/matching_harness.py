"""Matching running in-process next to intake, on a database of its own, fed by intake's topic over Kafka."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from tests.conftest import eventually


@dataclass
class MatchingHarness:
    """An authenticated client on matching, its app and database, and a clock the test can move."""

    client: httpx.AsyncClient
    app: FastAPI
    database_url: str
    topic: str
    days_ahead: float = 0  # the clock's lead on the real one, in days (a fraction moves it to a time of day)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days_ahead)

    async def fetchval(self, query: str, *args: Any) -> Any:
        con = await asyncpg.connect(self.database_url)
        try:
            return await con.fetchval(query, *args)
        finally:
            await con.close()

    async def in_pool(self, mentees: int, mentors: int, deadline_s: float = 60) -> None:
        """Wait until the pool holds this many waiting mentees and trained mentors (from intake's topic)."""

        async def arrived() -> bool:
            waiting = await self.fetchval("SELECT count(*) FROM pool_mentees WHERE status = 'waiting'")
            trained = await self.fetchval("SELECT count(*) FROM pool_mentors WHERE trained AND active")
            return waiting >= mentees and trained >= mentors

        await eventually(arrived, deadline_s, f"{mentees} mentees and {mentors} trained mentors in matching's pool")
