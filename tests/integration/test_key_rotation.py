"""A signing key is rotated under load without a stop: every fact published meanwhile is applied, none parked,
whichever key signed it; the retired key still verifies the history it signed."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.reporting.app import create_app as create_reporting
from shared.events.keyfiles import KEYRING_FILE, keys_folder, read_keyring, retire, rotate
from shared.events.signing import KEY_ID
from tests.conftest import eventually
from tests.integration.conftest import running_service
from tests.integration.intake_harness import IntakeHarness, mentee_body
from tests.signing import signing_key

pytestmark = pytest.mark.integration
REGISTRATIONS = 60


async def scalar(database_url: str, query: str) -> int:
    con = await asyncpg.connect(database_url)
    try:
        return await con.fetchval(query)
    finally:
        await con.close()


async def test_rotating_intakes_key_under_load_loses_and_parks_nothing(infra, intake: IntakeHarness):
    prefix = intake.topic.removesuffix("duo.intake.events")
    old = signing_key("intake")
    async with running_service(infra, "reporting", create_reporting, prefix) as reporting:

        async def register(n: int) -> None:
            for _ in range(n):
                answer = await intake.client.post("/mentees", json=mentee_body())
                assert answer.status_code == 201, answer.text

        # Two writers keep registering while the key is rotated, then the old one retired.
        writers = [asyncio.create_task(register(REGISTRATIONS // 2)) for _ in range(2)]

        async def some_published() -> bool:
            return await intake.count("event_chain") >= 5

        await eventually(some_published, 60, "registrations published under the old key")
        new = rotate(keys_folder(), "intake")
        retire(keys_folder(), old.key_id)
        await asyncio.gather(*writers)

        async def all_counted() -> bool:
            counted = await scalar(reporting.database_url, "SELECT count(*) FROM ledger")
            return counted == await intake.count("events") >= REGISTRATIONS

        await eventually(all_counted, 90, "every registration counted by reporting")
        assert await scalar(reporting.database_url, "SELECT count(*) FROM parked_messages") == 0
        assert await scalar(reporting.database_url, "SELECT count(*) FROM parked_events") == 0
        records = await intake.published(lambda records: len(records) >= REGISTRATIONS)
        signers = {dict(r.headers)[KEY_ID].decode() for r in records}
        assert signers == {old.key_id, new.key_id}  # both keys signed part of the load
        assert read_keyring(keys_folder() / KEYRING_FILE).keys[old.key_id].retired is not None
