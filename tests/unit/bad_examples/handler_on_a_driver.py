"""BAD EXAMPLE, parsed by test_boundaries.py and never imported: a handler that queries PostgreSQL itself
instead of asking a port declared beside it."""

from __future__ import annotations

import asyncpg


async def accept(connection: asyncpg.Connection, proposal_id: str) -> None:
    await connection.execute("UPDATE proposals SET status = 'accepted' WHERE id = $1", proposal_id)
