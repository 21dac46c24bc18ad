"""Reporting through the real broker: a generated history on the three topics, in shuffled order and
redelivered, gives exactly the figures its events define; a rebuild from the log gives the same figures."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.reporting.adapters.definition_files import definition_choices
from services.reporting.domain.disclosure import Published
from services.reporting.domain.programme import programme_of
from services.reporting.domain.publication import publication_date, quarter_end_on_or_before
from services.reporting.domain.report import Slice, figures
from services.reporting.domain.rollup import HEADLINES, TOTAL, published_sums
from shared.auth.identity import Role
from shared.events.catalog import (
    DuoEnded,
    FollowUpRecorded,
    JobFound,
    MeetingLogged,
    MenteeApplicationRejected,
    MenteeRegistered,
    MenteeSurveyRecorded,
    MentorTrainingCompleted,
)
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.events.keyfiles import keys_folder
from shared.kafka import new_producer
from shared.tenancy import TIMEZONES, Tenant
from tests.auth import bearer
from tests.cli import duo
from tests.conftest import eventually
from tests.histories import duo_formed
from tests.integration.quarters import after_this_quarter
from tests.signing import signed_kafka
from tests.unit.test_disclosure import differences, recoverable

pytestmark = pytest.mark.integration

FUNDER = bearer("BE", Role.FUNDER, subject="funder-1")


def history(rng: random.Random) -> list[tuple[str, EventEnvelope]]:
    """A small programme: registrations, a refusal, trained mentors, duos with meetings, jobs, endings, surveys."""
    out: list[tuple[str, EventEnvelope]] = []
    today = datetime.now(UTC).date()

    def add(source: str, event: DomainEvent, stream: str, office: str, on: date, version: int = 1) -> None:
        meta = EventMetadata(
            tenant=Tenant.BE, office=office, actor="staff-1", occurred_at=datetime.combine(on, datetime.min.time(), UTC)
        )
        out.append((source, EventEnvelope.record(NewEvent(event, meta), stream, version, datetime.now(UTC))))

    for i in range(12):
        office = ("be-antwerpen", "be-gent", "be-brussel")[i % 3]
        mentee, mentor, duo_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        formed = today - timedelta(days=400 - i * 10)
        add(
            "intake",
            MenteeRegistered(mentee_id=mentee, job_target_sector="Q"),
            f"mentee-{mentee}",
            office,
            formed - timedelta(days=20),
        )
        add(
            "intake", MentorTrainingCompleted(mentor_id=mentor), f"mentor-{mentor}", office, formed - timedelta(days=30)
        )
        add(
            "matching",
            duo_formed(duo_id, mentee, mentor, formed, 20 + i),
            f"proposal-{duo_id}",
            office,
            formed,
        )
        stream = f"duo-{duo_id}"
        add(
            "tracking",
            MeetingLogged(
                duo_id=duo_id,
                met_on=formed + timedelta(days=7),
                duration_minutes=90,
                mode="in_person",
                topics=("job_search",),
            ),
            stream,
            office,
            formed,
            1,
        )
        if i % 2:
            ended = formed + timedelta(days=180)
            add(
                "tracking",
                DuoEnded(
                    duo_id=duo_id,
                    mentee_id=mentee,
                    mentor_id=mentor,
                    ended_on=ended,
                    reason="completed" if i % 3 else "lost_contact",
                ),
                stream,
                office,
                ended,
                2,
            )
            add(
                "tracking",
                MenteeSurveyRecorded(
                    duo_id=duo_id,
                    more_self_confidence=True,
                    more_autonomous_job_search=bool(i % 4 == 1),
                    mentor_helped_with_problems=False,
                ),
                stream,
                office,
                ended,
                3,
            )
            if i % 4 == 1:
                add(
                    "tracking",
                    JobFound(
                        duo_id=duo_id,
                        job_id=uuid.uuid4(),
                        mentee_id=mentee,
                        sector="Q",
                        contract_type="permanent",
                        hours_per_week=30,
                        started_on=ended + timedelta(days=30),
                    ),
                    stream,
                    office,
                    ended,
                    4,
                )
            add(
                "tracking",
                FollowUpRecorded(
                    duo_id=duo_id, mentee_id=mentee, months=3, status="employed", recorded_on=ended + timedelta(days=92)
                ),
                stream,
                office,
                ended,
                5 if i % 4 == 1 else 4,  # a stream's versions have no gap
            )
    add(
        "intake",
        MenteeApplicationRejected(application_id=uuid.uuid4(), failed_rules=("max_age",), age_band="35-49"),
        f"application-{uuid.uuid4()}",
        "be-gent",
        today,
    )
    rng.shuffle(out)
    return out


async def publish(bootstrap: str, prefix: str, events: list[tuple[str, EventEnvelope]]) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for source, envelope in events:
            key, value, headers = signed_kafka(envelope, source)
            await producer.send(f"{prefix}duo.{source}.events", value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()


LEDGER_INDEXES = (
    "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index "
    "WHERE indrelid = 'ledger'::regclass"
)


async def test_a_shuffled_redelivered_history_gives_exactly_its_figures_and_a_rebuild_the_same(
    infra, reporting, tmp_path
):
    client, settings = reporting
    rng = random.Random(27)
    events = history(rng)
    expected = figures(programme_of(e for _, e in events), Slice(Tenant.BE), datetime.now(UTC).date()).model_dump()

    async def current() -> dict:
        return (await client.get("/figures", headers=FUNDER)).json()["figures"]

    async def caught_up() -> bool:
        return (await current()) == expected

    await publish(infra.kafka_bootstrap, settings.topic_prefix, events)
    await eventually(caught_up, 60, "reporting's figures equal to the history's")
    assert expected["duos_formed"] == 12 and expected["positive_exit"]["numerator"] == 3
    # Every event again, in another order: nothing counts twice.
    await publish(infra.kafka_bootstrap, settings.topic_prefix, rng.sample(events, len(events)))

    async def redelivered_seen() -> bool:
        [consumer] = (await client.get("/health")).json()["checks"]["consumers"]
        return consumer["processed_since_start"] >= 2 * len(events)

    await eventually(redelivered_seen, 30, "the redelivered history consumed")
    assert await current() == expected

    env = {
        "REPORTING_DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "DUO_TOPIC_PREFIX": settings.topic_prefix,
        "DUO_EVENT_KEYS_DIR": str(keys_folder()),  # the keys the history was signed with
    }
    # Twice: the second switch finds the first's previous ledger, whose index names it must move out of the way,
    # and a live index made twice by hand (a second copy keeps a name of its own: the switch does not trip on it).
    for twice in (False, True):
        if twice:
            con = await asyncpg.connect(settings.database_url)
            await con.execute("CREATE INDEX by_tenant_by_hand ON ledger (tenant, recorded_at)")
            await con.close()
        rebuilt = await asyncio.to_thread(duo, tmp_path, "projection", "rebuild", "reporting", **env)
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "rebuilt figures equal the live ones" in rebuilt.stdout
        assert "rebuilt read models equal the fold of the rebuilt ledger" in rebuilt.stdout
        assert "switched over" in rebuilt.stdout
        assert await current() == expected
        # The replay builds the ledger's other indexes once at the end: the switched-in ledger has them all.
        con = await asyncpg.connect(settings.database_url)
        try:
            indexes = [(row["def"].split(" USING btree ")[1], row["name"]) for row in await con.fetch(LEDGER_INDEXES)]
            key = await con.fetchval(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger'::regclass AND contype = 'p'"
            )
            # The rebuilt read models are live, in the public schema, with their indexes built at the end.
            read_indexes = await con.fetchval(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'rm_duo_facts'"
            )
            schemas = await con.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'reporting_rebuild'")
        finally:
            await con.close()
        # Named as migration 1 named them, not as `LIKE` named the rebuilt ledger's copies.
        named = {("(event_id)", "ledger_pkey"), ("(tenant, recorded_at)", "ledger_by_tenant")}
        named |= {("(stream_id, stream_version)", "ledger_by_stream")}
        assert named <= set(indexes) and len(indexes) == 3 + twice
        assert key == "ledger_pkey"
        assert (read_indexes, schemas) == (2, 0)

    report = await asyncio.to_thread(duo, tmp_path, "report", "--branch", "BE", **env)
    assert report.returncode == 0 and "duos_formed              12" in report.stdout and "Flanders" in report.stdout


@pytest.mark.parametrize("reporting", [after_this_quarter()], indirect=True)
async def test_as_of_csv_history_and_the_federations_roll_up(infra, reporting):
    client, settings = reporting
    events = history(random.Random(3))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, events)

    async def all_in() -> bool:
        return (await client.get("/figures", headers=FUNDER)).json()["figures"]["duos_formed"] == 12

    await eventually(all_in, 60, "the history consumed")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    before = (await client.get("/figures", params={"as_of": yesterday}, headers=FUNDER)).json()
    assert before["figures"]["duos_formed"] == 0  # every event was recorded today
    csv = await client.get("/figures", params={"format": "csv"}, headers=FUNDER)
    assert csv.headers["content-type"].startswith("text/csv") and "figures.duos_formed,12" in csv.text
    rollup = (await client.get("/figures", headers=bearer(None, Role.FEDERATION, subject="fed-1"))).json()
    assert rollup["by_branch"]["BE"]["duos_formed"] == 12 and rollup["by_branch"]["NL"]["duos_formed"] == 0
    plan = (await client.get("/plan", headers=FUNDER)).json()
    assert plan["cost_per_duo_eur"]["overall"]["cost_per_duo_eur"] == 3014 and plan["rows"]
    duo_id = next(e.data["duo_id"] for _, e in events if e.event_type == "DuoFormed")
    auditor = bearer("BE", Role.AUDITOR, subject="auditor-1")
    timeline = (await client.get(f"/history/{duo_id}", headers=auditor)).json()
    assert timeline[0]["event_type"] == "DuoFormed" and {"actor", "recorded_at", "correlation_id"} <= set(timeline[0])
    assert (await client.get(f"/history/{duo_id}", headers=FUNDER)).status_code == 403
    trail = (await client.get("/figures/duos_formed/events", headers=auditor)).json()
    formed_ids = {str(e.event_id) for _, e in events if e.event_type == "DuoFormed"}
    assert set(trail["event_ids"]) == formed_ids and trail["definition"] == "DuoFormed events"
    assert trail["total"] == 12 and trail["next"] is None  # one page (of 100 by default)
    bad = await client.get("/figures", params={"sustainable_work": "whatever"}, headers=FUNDER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sustainable_work"
    unknown = await client.get("/figures", params={"mentor_retention": "mentor-retention/v9"}, headers=FUNDER)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "mentor_retention"


def _definitions_of(figures: dict) -> tuple[str, str, str]:
    return tuple(figures[name]["definition"] for name in ("positive_exit", "sustainable_work", "mentor_retention"))


async def test_a_branchs_figures_use_its_choice_of_definitions_on_the_day_asked_or_the_one_asked_for(infra, reporting):
    client, _ = reporting
    old = (await client.get("/figures", params={"as_of": "2026-12-31"}, headers=FUNDER)).json()["figures"]
    new = (await client.get("/figures", params={"as_of": "2027-01-01"}, headers=FUNDER)).json()["figures"]
    assert _definitions_of(old) == ("positive-exit/v1", "sustainable-work-memorandum/v1", "mentor-retention/v1")
    assert _definitions_of(new) == ("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
    assert new["mentor_retention"]["observation_window_months"] == 3
    french = bearer("FR", Role.FUNDER, subject="funder-fr")
    fr = (await client.get("/figures", params={"as_of": "2027-01-01"}, headers=french)).json()["figures"]
    assert _definitions_of(fr) == ("positive-exit-from-start/v1", "sustainable-work-agency/v1", "mentor-retention/v2")
    asked = {
        "as_of": "2027-01-01",
        "positive_exit": "positive-exit/v1",
        "sustainable_work": "sustainable-work-published/v1",
    }
    kept = (await client.get("/figures", params=asked, headers=FUNDER)).json()["figures"]
    assert _definitions_of(kept) == ("positive-exit/v1", "sustainable-work-published/v1", "mentor-retention/v2")
    plan = (await client.get("/plan", params={"as_of": "2027-01-01"}, headers=FUNDER)).json()
    assert plan["return"]["definition"] == "sustainable-work-memorandum/v2"


@pytest.mark.parametrize("reporting", [after_this_quarter()], indirect=True)
async def test_the_federation_cannot_subtract_a_small_cell_on_any_route(infra, reporting):
    """Two NL mentees and duos beside BE's twelve: the federation sees neither NL's counts nor a total, a difference
    or another route that gives them back; the plan's small area-years are hidden the same way."""
    client, settings = reporting
    events = history(random.Random(5))
    today = datetime.now(UTC).date()
    for _ in range(2):
        mentee, duo_id = uuid.uuid4(), uuid.uuid4()
        meta = EventMetadata(tenant=Tenant.NL, office="nl-rotterdam", actor="staff-9", occurred_at=datetime.now(UTC))
        registered = MenteeRegistered(mentee_id=mentee, job_target_sector="Q")
        formed = duo_formed(duo_id, mentee, uuid.uuid4(), today, 3)
        for source, event, stream in (("intake", registered, f"mentee-{mentee}"), ("matching", formed, f"p-{duo_id}")):
            events.append((source, EventEnvelope.record(NewEvent(event, meta), stream, 1, datetime.now(UTC))))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, events)
    federation = bearer(None, Role.FEDERATION, subject="fed-1")
    nl_funder = bearer("NL", Role.FUNDER, subject="funder-nl")

    async def all_in() -> bool:
        be = (await client.get("/figures", headers=FUNDER)).json()["figures"]["duos_formed"] == 12
        return be and (await client.get("/figures", headers=nl_funder)).json()["figures"]["duos_formed"] == 2

    await eventually(all_in, 60, "the history consumed")
    stats = (await client.get("/stats/mentees", headers=federation)).json()
    table = (await client.get("/figures", headers=federation)).json()
    assert stats["by_tenant"]["NL"] is None and table["by_branch"]["NL"]["registered"] is None
    assert table["by_branch"]["NL"]["duos_formed"] is None
    # Every subtraction over the published cells, the two routes together (they publish the same table).
    shown = {
        (b, name): row[name]
        for b, row in (*table["by_branch"].items(), ("total", table["total"]))
        for name in HEADLINES
    }
    assert stats["total"] == shown[("total", "registered")]
    assert stats["by_tenant"] == {b: shown[(b, "registered")] for b in ("BE", "FR", "NL")}
    assert stats["applications"] == shown[("total", "applications")]
    published = {cell: (0 if value is None else value) for cell, value in shown.items()}
    assert recoverable(published, published_sums(["BE", "FR", "NL"]), shown) == set()
    for slice_ in ({"year": 2026}, {"province": "Antwerpen"}):  # a slice minus the whole would give a cell back
        refused = await client.get("/figures", params=slice_, headers=federation)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == next(iter(slice_)), refused.text
    plan = (await client.get("/plan", headers=federation)).json()
    shown_formed = {(r["area"], r["year"]): r["formed"] for r in plan["rows"]}
    assert shown_formed and all(v is None or v == 0 or v >= 5 for v in shown_formed.values()), shown_formed
    assert any(v is None for v in shown_formed.values())  # twelve duos over three offices and two years: small cells
    funder_plan = (await client.get("/plan", headers=FUNDER)).json()
    assert all(r["formed"] is not None for r in funder_plan["rows"])  # the branch itself sees its own plan whole


def registrations(count: int, recorded_at: datetime, tenant: Tenant = Tenant.BE) -> list[tuple[str, EventEnvelope]]:
    """`count` registrations of a branch recorded at `recorded_at`."""
    out = []
    office = {Tenant.BE: "be-gent", Tenant.NL: "nl-rotterdam", Tenant.FR: "fr-lyon"}[tenant]
    for _ in range(count):
        mentee = uuid.uuid4()
        meta = EventMetadata(tenant=tenant, office=office, actor="staff-1", occurred_at=recorded_at)
        event = MenteeRegistered(mentee_id=mentee, job_target_sector="Q")
        out.append(("intake", EventEnvelope.record(NewEvent(event, meta), f"mentee-{mentee}", 1, recorded_at)))
    return out


async def test_the_federation_reads_frozen_quarterly_publications_that_cannot_be_subtracted(infra, reporting):
    """27 Belgian registrations recorded in one quarter, 3 more in the next: the federation gets the same
    publication for any two days of a quarter, and the 3 cannot be worked out from two publications; a late fact
    does not change a publication once published."""
    client, settings = reporting
    today = datetime.now(TIMEZONES[Tenant.BE]).date()
    last = publication_date(None, today)
    assert last is not None
    previous = quarter_end_on_or_before(last - timedelta(days=1))
    noon = datetime.combine(previous - timedelta(days=10), datetime.min.time(), UTC) + timedelta(hours=12)
    await publish(infra.kafka_bootstrap, settings.topic_prefix, registrations(27, noon))
    await publish(infra.kafka_bootstrap, settings.topic_prefix, registrations(3, noon + (last - previous)))

    async def all_in() -> bool:
        return (await client.get("/stats/mentees", headers=FUNDER)).json()["total"] == 30

    await eventually(all_in, 60, "the registrations consumed")
    federation = bearer(None, Role.FEDERATION, subject="fed-1")

    async def rollup(as_of: date | None) -> dict:
        answer = await client.get("/figures", params={"as_of": as_of} if as_of else {}, headers=federation)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # Asked at once, on a database with no publication yet: each is computed and stored once, under the lock.
    early, late = await asyncio.gather(rollup(previous + timedelta(days=1)), rollup(last - timedelta(days=1)))
    assert early == late and early["publication"] == early["as_of"] == previous.isoformat()
    now, at_the_end = await rollup(None), await rollup(last)
    assert now == at_the_end and now["publication"] == last.isoformat()
    stats = (await client.get("/stats/mentees", headers=federation)).json()
    plan = (await client.get("/plan", params={"as_of": str(last + timedelta(days=1))}, headers=federation)).json()
    assert stats["publication"] == plan["publication"] == last.isoformat()
    assert stats["by_tenant"]["BE"] == now["by_branch"]["BE"]["registered"]

    def published(answer: dict, registered: int) -> Published:
        rows = {**answer["by_branch"], TOTAL: answer["total"]}
        counts = {(b, name): 0 for b in rows for name in HEADLINES}
        for row in ("BE", TOTAL):
            counts[(row, "registered")] = counts[(row, "applications")] = registered
        assert all(rows[b][name] in (None, counts[(b, name)]) for b, name in counts)  # what is shown is true
        hidden = frozenset(cell for cell in counts if rows[cell[0]][cell[1]] is None)
        return Published(counts, hidden, published_sums(["BE", "FR", "NL"]))

    before, after = published(early, 27), published(now, 30)
    assert early["by_branch"]["BE"]["registered"] == 27  # shown a quarter ago: 30 now would give the 3 away
    assert now["by_branch"]["BE"]["registered"] is None and now["total"]["registered"] is None
    assert differences(before, after) == []
    late_fact = registrations(1, noon + (last - previous), Tenant.FR)  # recorded before the end, arrived after it
    await publish(infra.kafka_bootstrap, settings.topic_prefix, late_fact)
    fr_funder = bearer("FR", Role.FUNDER, subject="funder-fr")

    async def late_fact_in() -> bool:
        return (await client.get("/stats/mentees", headers=fr_funder)).json()["total"] == 1

    await eventually(late_fact_in, 60, "the late registration consumed")
    assert now["by_branch"]["FR"]["registered"] == 0
    assert await rollup(None) == now  # published is published: the late fact counts in the next publication
    other = await client.get(
        "/figures", params={"sustainable_work": "sustainable-work-published/v1"}, headers=federation
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "sustainable_work"
    # Each branch's cells are of its own choice on the publication's day, and the answer says which.
    published_on = date.fromisoformat(now["publication"])
    used = {t.value: definition_choices().for_branch(t.value, published_on).stated() for t in Tenant}
    assert now["definitions"] == used
    for field in used["BE"]:  # a version every branch uses that day may be asked for; another not
        keys = {d[field] for d in used.values()}
        if len(keys) == 1:
            same = await client.get("/figures", params={field: keys.pop()}, headers=federation)
            assert same.status_code == 200 and same.json() == now
    unused = next(k for k in ("mentor-retention/v1", "mentor-retention/v2") if k != used["NL"]["mentor_retention"])
    refused = await client.get("/figures", params={"mentor_retention": unused}, headers=federation)
    assert refused.status_code == 422 and refused.json()["errors"][0]["rule"] == "published_definition"
    too_early = await client.get("/plan", params={"as_of": "2024-03-30"}, headers=federation)
    assert too_early.status_code == 422 and too_early.json()["errors"][0]["rule"] == "published_date"
