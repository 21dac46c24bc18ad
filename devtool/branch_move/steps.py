"""The move's steps over two regions' data folders: checks, copy, erase, each database on its own connection."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from devtool.branch_move import access_log, copy, erase, hosting, vault
from devtool.branch_move.tables import PRODUCERS
from shared.endpoints import read_endpoints, service_database
from shared.eventstore.chain_key import configured_chain_key
from shared.tenancy import Tenant


class MoveRefused(RuntimeError):
    """The move cannot go on: the reason, naming what to do."""


@dataclass(frozen=True)
class Move:
    branch: Tenant
    source: Path  # the old region's data folder
    target: Path  # the new region's

    @property
    def reason(self) -> str:
        new = hosting.recorded_region(self.target)
        return f"branch {self.branch} moved to region {new.name if new else '?'}"


@asynccontextmanager
async def databases(home: Path, names: tuple[str, ...]) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    """A superuser connection to each named database of a data folder's server (keyed by service)."""
    endpoints = read_endpoints(home)
    if endpoints is None:
        raise MoveRefused(f"{home}: no infra.json: start that region first")
    cons: dict[str, asyncpg.Connection] = {}
    try:
        for service in names:
            cons[service] = await asyncpg.connect(endpoints.database_url(service_database(service)))
        yield cons
    finally:
        for con in cons.values():
            await con.close()


def check_hosting(move: Move) -> None:
    if why := hosting.refusal(move.branch, move.source, move.target):
        raise MoveRefused(why)


async def _check_source_published(sources: dict[str, asyncpg.Connection], branch: Tenant) -> None:
    """Every event of the branch published by the old region: one still in an outbox could be missed by the copy's
    checks (nothing vouches for it in the old chain). Parked events are no reason to wait: they are copied as events,
    and the new region's consumers, which never processed them, try them again."""
    for service, con in sources.items():
        waiting = await con.fetchval(
            "SELECT count(*) FROM outbox JOIN events USING (global_position) WHERE tenant = $1", branch.value
        )
        if waiting:
            raise MoveRefused(
                f"{service}: {waiting} events of {branch} are still in the outbox: let the old region's relay "
                "publish them (start it) and run again"
            )


async def copy_branch(move: Move, say: Callable[[str], None]) -> None:
    check_hosting(move)
    async with databases(move.source, PRODUCERS) as sources, databases(move.target, PRODUCERS) as targets:
        await _check_source_published(sources, move.branch)
        ids = await copy.branch_ids(sources, move.branch)
        old_keys, new_keys = vault.region_master_keys(move.source), vault.region_master_keys(move.target)
        for service in PRODUCERS:  # every service's rows before any service's events (copy.py says why)
            async with targets[service].transaction():
                added = await copy.copy_rows(sources[service], targets[service], move.branch, ids)
                if service == "intake":
                    added["personal_data"] = await vault.copy_people(
                        sources[service], targets[service], move.branch, old_keys, new_keys
                    )
                    added["access_log"] = await access_log.copy_entries(
                        sources[service], targets[service], move.branch, chain_key(service, move.target)
                    )
            say(f"{service}: rows copied: {_counts(added)}")
        for service in PRODUCERS:
            async with targets[service].transaction():
                added_events = await copy.copy_events(sources[service], targets[service], move.branch)
            say(f"{service}: {added_events} events copied")


def _counts(by_table: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(by_table.items()) if n) or "none new"


async def _not_yet_copied(move: Move) -> str | None:
    async with databases(move.source, PRODUCERS) as sources, databases(move.target, PRODUCERS) as targets:
        for service in PRODUCERS:
            if missing := await erase.not_yet_in_target(sources[service], targets[service], move.branch):
                return f"{service}: {missing}"
        if entries := await access_log.entries_not_copied(sources["intake"], targets["intake"], move.branch):
            return f"intake: {entries} entries of the access log are not copied"
    return None


def chain_key(service: str, home: Path) -> bytes:
    """The key a region's relays seal its chain with: DUO_CHAIN_KEY if set (as for them), else its data folder's."""
    return configured_chain_key(service, {**os.environ, "DUO_HOME": str(home.resolve())})


async def wait_until_published(move: Move, deadline_s: float, say: Callable[[str], None]) -> None:
    """Until the new region holds and has published every event of the branch, or MoveRefused after `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    while missing := await _not_yet_copied(move):
        if time.monotonic() > deadline:
            raise MoveRefused(f"not erasing: {missing} (after {deadline_s:.0f} s; is the new region running?)")
        await asyncio.sleep(0.5)
    say("the new region holds and has published every event of the branch")


async def erase_branch(move: Move, say: Callable[[str], None]) -> None:
    check_hosting(move)
    if missing := await _not_yet_copied(move):
        raise MoveRefused(f"not erasing: {missing}: copy it first (duo branch copy), with the new region running")
    async with databases(move.source, (*PRODUCERS, "reporting")) as sources:
        producers = {service: sources[service] for service in PRODUCERS}
        ids = await copy.branch_ids(producers, move.branch)
        for service, con in sources.items():  # every database's rows before any event (erase.py says why)
            async with con.transaction():
                removed = await erase.erase_rows(con, move.branch, ids)
                if service == "intake":
                    removed["access_log"] = await access_log.erase_branch_entries(
                        con, move.branch, chain_key(service, move.source), move.reason
                    )
            say(f"{service}: rows erased: {_counts(removed)}")
        for service, con in producers.items():
            async with con.transaction():
                erased = await erase.erase_branch_events(con, move.branch, chain_key(service, move.source), move.reason)
            say(f"{service}: {erased} events erased, each recorded in the hash chain ({move.reason})")
