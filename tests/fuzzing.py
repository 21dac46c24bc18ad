"""Schema-driven fuzzing of a service's HTTP API: the service served for real, cases from its OpenAPI document.

`LiveService` runs a service app (its lifespan: pool, schema, outbox relay, Kafka) in uvicorn on a
free loopback port, in a thread with its own event loop, so that schemathesis' synchronous client
and hypothesis drive it from the test's thread. `StoreProbe` fingerprints the service's database
between cases, to show that a refused request changed nothing. `fuzz_operation` runs one
operation's cases with a fixed seed and checks each answer.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.config import ServiceSettings
from tests.auth import VERIFIER
from tests.conftest import unique
from tests.infrastructure import StackEndpoints

T = TypeVar("T")

# What every answer is held to: no 5xx, a documented status, and headers and a body as documented
# for that status (the 4xx of the platform are documented as ErrorBody).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Tables the outbox relay writes in the background, whatever the requests do: its own bookkeeping.
RELAY_TABLES = frozenset({"outbox", "event_chain"})


class LiveService:
    """A service app on a fresh database, served by uvicorn at `base_url` from a thread of its own."""

    def __init__(self, infra: StackEndpoints, service: str, make_app: Callable[[ServiceSettings], FastAPI]) -> None:
        self.infra, self.service, self.make_app = infra, service, make_app
        self.database = unique("fuzz")
        self.database_url = infra.database_url(self.database)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"{service}-live", daemon=True)
        self._server: uvicorn.Server | None = None
        self._serving: Any = None
        self.base_url = ""
        self.session = requests.Session()
        self.probe: StoreProbe | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the service's loop (where its pool lives) and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> LiveService:
        self._thread.start()
        try:
            self.run(self._create_database())
            settings = ServiceSettings(
                service=self.service,
                database_url=self.database_url,
                kafka_bootstrap_servers=self.infra.kafka_bootstrap,
                topic_prefix=unique("fz") + ".",
                token_verifier=VERIFIER,
            )
            # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so, and without
            # it every answer on a kept-alive connection waits 40 ms for a delayed ACK (Nagle).
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.make_app(settings),
                lifespan="on",
                log_config=None,  # uvicorn's own logging set-up would rewire the process's loggers for later tests
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=5,
            )
            self._server = uvicorn.Server(config)
            self._serving = asyncio.run_coroutine_threadsafe(self._server.serve(sockets=[sock]), self.loop)
            deadline = time.monotonic() + 60
            while not self._server.started:
                if self._serving.done() or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.service} did not start serving: {self._serving!r}")
                time.sleep(0.02)
            self.base_url = f"http://127.0.0.1:{port}"
            self.probe = self.run(StoreProbe.open(self.database_url))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.session.close()
        try:
            if self._server is not None and self._serving is not None:
                self._server.should_exit = True
                self._serving.result(60)
            if self.probe is not None:
                self.run(self.probe.close())
            self.run(self._drop_database())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self.loop.close()

    async def _create_database(self) -> None:
        admin = await asyncpg.connect(self.infra.postgres_admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await admin.close()

    async def _drop_database(self) -> None:
        admin = await asyncpg.connect(self.infra.postgres_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await admin.close()

    def snapshot(self) -> Snapshot:
        assert self.probe is not None
        return self.run(self.probe.snapshot())

    def changes_since(self, before: Snapshot) -> Changes:
        assert self.probe is not None
        return self.run(self.probe.changes_since(before))


@dataclass(frozen=True)
class Snapshot:
    """The service's database at one moment: a digest of each table's rows, the last event, the pending outbox."""

    digests: Mapping[str, str]  # the events table's digest covers the events up to `last_event`
    last_event: int
    outbox: frozenset[int]


@dataclass(frozen=True)
class Changes:
    """What was written between a snapshot and now."""

    tables: tuple[str, ...]  # tables whose rows differ (events: among those that existed then)
    new_events: tuple[tuple[str, str], ...]  # (stream_id, event_type) appended since
    new_outbox: frozenset[int]  # outbox rows that were not pending then (the relay only deletes)

    def __bool__(self) -> bool:
        return bool(self.tables or self.new_events or self.new_outbox)


@dataclass
class StoreProbe:
    """One connection of its own to a service's database that fingerprints every table the service writes."""

    con: asyncpg.Connection
    tables: tuple[str, ...] = field(default=())

    @classmethod
    async def open(cls, database_url: str) -> StoreProbe:
        con = await asyncpg.connect(database_url)
        rows = await con.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables = tuple(r["table_name"] for r in rows if r["table_name"] not in RELAY_TABLES)
        assert "events" in tables, f"no event store in {tables}"
        return cls(con, tables)

    async def close(self) -> None:
        await self.con.close()

    def _digests_query(self) -> str:
        def digest(table: str) -> str:
            where = " WHERE t.global_position <= $1" if table == "events" else ""
            return f"(SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t{where})"

        return "SELECT " + ", ".join(f'{digest(t)} AS "{t}"' for t in self.tables)

    async def snapshot(self) -> Snapshot:
        async with self.con.transaction(isolation="repeatable_read", readonly=True):
            last = await self.con.fetchval("SELECT coalesce(max(global_position), 0) FROM events")
            digests = dict(await self.con.fetchrow(self._digests_query(), last))
            outbox = frozenset(r[0] for r in await self.con.fetch("SELECT global_position FROM outbox"))
        return Snapshot(digests, last, outbox)

    async def changes_since(self, before: Snapshot) -> Changes:
        async with self.con.transaction(isolation="repeatable_read", readonly=True):
            digests = dict(await self.con.fetchrow(self._digests_query(), before.last_event))
            new_events = await self.con.fetch(
                "SELECT stream_id, event_type FROM events WHERE global_position > $1 ORDER BY global_position",
                before.last_event,
            )
            outbox = frozenset(r[0] for r in await self.con.fetch("SELECT global_position FROM outbox"))
        return Changes(
            tuple(t for t in self.tables if digests[t] != before.digests[t]),
            tuple((r["stream_id"], r["event_type"]) for r in new_events),
            frozenset(outbox - before.outbox),
        )


# A refusal the API documents as recorded: it may write exactly these changes. Given the answer's
# JSON, the request's headers and the changes, it says whether they are the recorded refusal.
RecordedRefusal = Callable[[Any, Mapping[str, str], Changes], bool]


@dataclass
class FuzzTally:
    """How many cases ran, by kind (examples, positive, negative) and by answer status."""

    cases: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)

    def count(self, kind: str, status: int) -> None:
        self.cases += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.by_status[status] = self.by_status.get(status, 0) + 1


# Schemathesis' configuration, spelled out rather than discovered from a schemathesis.toml: reproductions
# hide the bearer token but show the Idempotency-Key, which a failure may depend on.
CONFIG = schemathesis.Config.from_dict(
    {"output": {"sanitization": {"keys-to-sanitize": ["authorization"], "sensitive-markers": ["token", "secret"]}}}
)


def load_schema(app: FastAPI) -> schemathesis.BaseSchema:
    """The schemathesis view of an app's OpenAPI document (the document alone: requests go to a live server)."""
    return schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation an app documents, for parametrizing tests at collection time."""
    return [(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops]


def cases_per_operation(app: FastAPI, per_service: int) -> int:
    """Cases each operation runs so that the service gets at least `per_service`."""
    count = len(operations(app))
    return -(-per_service // count)


def _has_inputs(operation: Any) -> bool:
    return bool(list(operation.iter_parameters())) or bool(operation.body)


def case_strategy(
    operation: Any, headers: Mapping[str, str], known_ids: Mapping[str, Sequence[str]]
) -> st.SearchStrategy[tuple[Any, str]]:
    """Cases of one operation, each with its kind: built from the documented examples, positive (valid
    by the document) and, where there is input to break, negative (invalid by the document).

    `headers` are fixed (the credentials): neither generated nor broken. A path or query parameter
    named in `known_ids` is, in some valid cases, one of those ids, so that commands on existing
    records run, not only 404s."""
    fixed = {"headers": dict(headers)} if headers else {}
    kinds: list[tuple[str, list[st.SearchStrategy[Any]]]] = [
        ("examples", operation.schema.get_strategies_from_examples(operation, **fixed)),
        ("positive", [operation.as_strategy(generation_mode=GenerationMode.POSITIVE, **fixed)]),
    ]
    if _has_inputs(operation):
        kinds.append(("negative", [operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, **fixed)]))
    strategies = []
    for kind, alternatives in kinds:
        if not alternatives:
            continue
        cases = st.one_of(alternatives)
        if kind != "negative" and known_ids:
            cases = _reaching_known_ids(cases, known_ids)
        strategies.append(st.tuples(cases, st.just(kind)))
    return st.one_of(strategies)


@st.composite
def _reaching_known_ids(draw: st.DrawFn, cases: st.SearchStrategy[Any], known_ids: Mapping[str, Sequence[str]]) -> Any:
    case = draw(cases)
    for container in (case.path_parameters, case.query):
        for name in list(container or ()):
            ids = known_ids.get(name)
            if ids and draw(st.booleans()):
                container[name] = draw(st.sampled_from(list(ids)))
    return case


def fuzz_operation(
    live: LiveService,
    schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    headers: Mapping[str, str],
    cases: int,
    known_ids: Mapping[str, Sequence[str]] | None = None,
    recorded_refusal: RecordedRefusal | None = None,
) -> FuzzTally:
    """Send `cases` generated cases of one operation (seeded: the same cases every run) to the live service.

    A 4xx must leave the service's database as it was, but for a `recorded_refusal`; every answer
    must be below 500 and conform to the document (status, content type, headers, body schema)."""
    operation = schema[path][method]
    tally = FuzzTally()
    strategy = st.tuples(case_strategy(operation, headers, known_ids or {}), st.uuids(version=4))

    @settings(
        max_examples=cases,
        derandomize=True,  # the fixed seed: the same cases on every run
        database=None,  # no .hypothesis folder
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(strategy)
    def one_case(drawn: tuple[tuple[Any, str], uuid.UUID]) -> None:
        (case, kind), correlation_id = drawn
        # Every case speaks for a member of staff allowed to call the route; authentication is
        # tested elsewhere. The correlation id (a header of the platform) makes each case distinct.
        sent = {**headers, "X-Correlation-Id": str(correlation_id)}
        before = live.snapshot()
        response = case.call(base_url=live.base_url, session=live.session, headers=sent, timeout=30)
        tally.count(kind, response.status_code)
        if 400 <= response.status_code < 500:
            changes = live.changes_since(before)
            request_headers = {k.lower(): v for k, v in response.request.headers.items()}
            recorded = recorded_refusal is not None and recorded_refusal(_json(response), request_headers, changes)
            assert not changes or recorded, (
                f"{method} {path} was refused ({response.status_code} {response.text[:500]}) "
                f"but changed the store: {changes}\nReproduce with:\n    {case.as_curl_command(headers=sent)}"
            )
        case.validate_response(response, checks=CHECKS, headers=sent)

    one_case()
    return tally


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
