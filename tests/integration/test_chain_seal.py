"""The relay's seal (shared/eventstore/chain.py): a batch sealed again keeps its hashes and adds no link; new events
are linked onto the chain's head, in the order given; the chain then verifies."""

from __future__ import annotations

import uuid

import pytest

from shared.events.catalog import MenteeRegistered
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM
from shared.eventstore.chain import GENESIS, link, seal, verify
from shared.eventstore.postgres import PostgresEventStore
from shared.tenancy import Tenant

pytestmark = pytest.mark.integration

KEY = b"k" * 32


def registered(n: int) -> list[NewEvent]:
    meta = EventMetadata(tenant=Tenant.BE, office="be-gent", actor="test")
    return [NewEvent(MenteeRegistered(mentee_id=uuid.uuid4(), job_target_sector="Q"), meta) for _ in range(n)]


async def test_a_batch_sealed_again_keeps_its_hashes_and_the_next_links_onto_the_head(pool):
    store = PostgresEventStore(pool)
    first = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, registered(3))
    later = await store.append(f"mentee-{uuid.uuid4()}", NO_STREAM, registered(2))
    async with pool.acquire() as con:
        hashes = await seal(con, first, KEY)
        assert hashes[first[0].global_position or 0] == link(KEY, GENESIS, first[0])
        assert await seal(con, first, KEY) == hashes  # sent again after a failure: nothing new
        assert await con.fetchval("SELECT count(*) FROM event_chain") == 3
        head = hashes[first[-1].global_position or 0]
        # Part of a batch already chained, part new: the new ones follow the head, the old keep their hashes.
        mixed = await seal(con, [first[-1], *later], KEY)
        assert mixed[first[-1].global_position or 0] == head
        assert mixed[later[0].global_position or 0] == link(KEY, head, later[0])
        assert await con.fetchval("SELECT max(chain_seq) FROM event_chain") == 5
        await con.execute("DELETE FROM outbox")
        checked = await verify(con, KEY)
    assert checked.intact and checked.verified == 5, str(checked)
