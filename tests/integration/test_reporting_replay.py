"""The rebuild's replay fails at once, saying so, when one of its worker processes fails."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.reporting.adapters.projection import reporting_tables_ddl
from services.reporting.adapters.rebuild import replay
from shared.config import ServiceSettings
from shared.topics import declared_topics, ensure_topics
from tests.conftest import unique

pytestmark = pytest.mark.integration


async def test_a_failing_worker_fails_the_replay_with_its_exit_code(infra, database_url):
    con = await asyncpg.connect(database_url)
    try:
        await con.execute(reporting_tables_ddl())
        # A live fact the replay cannot find: without the failure it would wait for it for a minute, then blame
        # the topics.
        await con.execute(
            "INSERT INTO ledger (event_id, stream_id, stream_version, event_type, schema_version, tenant, office, "
            "occurred_at, recorded_at, actor, correlation_id, data) VALUES ($1, 'mentee-1', 1, 'MenteeRegistered', "
            "1, 'be', 'be-gent', now(), now(), 'test', $2, '{}')",
            uuid.uuid4(),
            uuid.uuid4(),
        )
        await con.execute("CREATE TABLE rebuilt (LIKE ledger INCLUDING ALL)")
        # The workers are told a database that does not exist: each fails as it starts.
        prefix = unique("t") + "."
        await ensure_topics(infra.kafka_bootstrap, declared_topics(prefix))
        settings = ServiceSettings(
            "reporting", infra.database_url(unique("missing")), infra.kafka_bootstrap, topic_prefix=prefix
        )
        with pytest.raises(RuntimeError, match="a replay worker failed"):
            await replay(con, settings, "rebuilt", say=lambda _: None, idle_s=1.0)
    finally:
        await con.close()
