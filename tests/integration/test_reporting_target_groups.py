"""Target groups through the real broker and reporting's API: mentees registered with and without their consent to
the facts, counted with the unknowns; a coordinator reads the counts, a funder the same with the small cells (and
the complements that would give them back) hidden."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, figures
from shared.auth.identity import Role
from shared.events.catalog import MenteeRegistered, MenteeTargetGroupRecorded, TimeSinceLastJob
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant
from tests.auth import bearer
from tests.conftest import eventually
from tests.integration.test_reporting import publish

pytestmark = pytest.mark.integration


def envelope(event: DomainEvent, stream: str, version: int, on: date) -> EventEnvelope:
    meta = EventMetadata(
        tenant=Tenant.BE, office="be-gent", actor="staff-1", occurred_at=datetime.combine(on, datetime.min.time(), UTC)
    )
    return EventEnvelope.record(NewEvent(event, meta), stream, version, datetime.now(UTC))


async def test_a_coordinator_reads_the_counts_and_a_funder_no_small_cell(infra, reporting):
    client, settings = reporting
    day = datetime.now(UTC).date() - timedelta(days=30)
    events = []
    for i in range(12):
        mentee = uuid.uuid4()
        events.append(("intake", envelope(MenteeRegistered(mentee_id=mentee), f"mentee-{mentee}", 1, day)))
        if i < 10:  # two mentees gave no consent: unknown
            neet = i < 9
            since: TimeSinceLastJob = "24_months_or_more" if neet else "under_6_months"
            group = MenteeTargetGroupRecorded(
                mentee_id=mentee, neet=neet, long_term_unemployed=neet, time_since_last_job=since
            )
            events.append(("intake", envelope(group, f"mentee-{mentee}", 2, day)))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, events)
    expected = figures(programme_of(e for _, e in events), Slice(Tenant.BE), datetime.now(UTC).date())

    async def counted() -> dict:
        answer = await client.get("/figures", headers=bearer("BE", Role.COORDINATOR))
        return answer.json()["figures"]["target_groups"]

    async def arrived() -> bool:
        return (await counted()) == expected.target_groups.model_dump()

    await eventually(arrived, 60, "the target groups counted")
    assert expected.target_groups.neet == {"yes": 9, "no": 1, "unknown": 2}

    funder = (await client.get("/figures", headers=bearer("BE", Role.FUNDER))).json()["figures"]["target_groups"]
    assert funder["registered"] == 12
    assert funder["neet"]["no"] is None and funder["time_since_last_job"]["under_6_months"] is None
    for fact in ("neet", "long_term_unemployed", "time_since_last_job"):
        shown = [n for n in funder[fact].values() if n is not None]
        assert not any(0 < n < 5 for n in shown), (fact, funder[fact])
        hidden = [v for v, n in funder[fact].items() if n is None]
        assert len(hidden) != 1, (fact, funder[fact])  # one hidden value alone is the total minus the others
