"""BAD EXAMPLE, parsed by test_boundaries.py and never imported: a domain module that does I/O and reads the clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import uuid4

import asyncpg

from shared.helpers import render

if TYPE_CHECKING:
    from fastapi import Request  # only for type checkers: never executed, so allowed


def decide(request: Request) -> dict:
    import structlog  # an import inside a function still runs

    structlog.get_logger().info("deciding")
    return {"at": datetime.now(), "id": uuid4(), "text": render(request), "pool": asyncpg.create_pool}
