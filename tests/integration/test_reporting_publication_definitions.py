"""The definitions a federation publication states are those its cells were computed under, stored with it: each
branch's cells under that branch's own definitions, and kept when a branch's definitions file changes later
(docs/adr/0025, amended). A publication stored before they were (migration 15) states what it stated until then."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.reporting.adapters import publications
from services.reporting.adapters.definition_files import definition_choices, parse_definitions_file
from services.reporting.adapters.publications import stored_publications
from services.reporting.api import figures as figures_api
from services.reporting.domain.definitions import DefinitionChoices
from services.reporting.domain.publication import publication_date
from services.reporting.migrations import MIGRATIONS
from shared.auth.identity import Role
from shared.events.catalog import DuoEnded, JobFound, TrainingStarted
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.eventstore.postgres import init_connection
from shared.migrations import migrate
from shared.tenancy import TIMEZONES, Tenant
from tests.auth import bearer
from tests.conftest import eventually
from tests.histories import duo_formed
from tests.integration.test_reporting import publish

pytestmark = pytest.mark.integration

FEDERATION = bearer(None, Role.FEDERATION, subject="fed-1")
KEYS = ("positive_exit", "sustainable_work", "mentor_retention")
OLD = ("positive-exit/v1", "sustainable-work-memorandum/v1", "mentor-retention/v1")
# BE: qualifying trainings only, no agency contract. NL: any training, agency contracts of 3 months or more.
BE = ("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
NL = ("positive-exit/v1", "sustainable-work-agency/v1", "mentor-retention/v1")


def stated(keys: tuple[str, str, str]) -> dict[str, str]:
    return dict(zip(KEYS, keys, strict=True))


def branch_file(branch: str, *versions: tuple[str, tuple[str, str, str]]) -> str:
    """A branch's definitions file (services/reporting/definitions/<BRANCH>.toml) with these versions."""
    text = f'branch = "{branch}"\n'
    for valid_from, (positive_exit, sustainable_work, mentor_retention) in versions:
        text += (
            f'[[versions]]\nversion = "{valid_from}"\nvalid_from = {valid_from}\npositive_exit = "{positive_exit}"\n'
            f'sustainable_work = "{sustainable_work}"\nmentor_retention = "{mentor_retention}"\n'
        )
    return text


def choices(**files: str) -> DefinitionChoices:
    return DefinitionChoices(
        tuple(v for branch, text in files.items() for v in parse_definitions_file(text, Tenant(branch)))
    )


def use(monkeypatch: pytest.MonkeyPatch, chosen: DefinitionChoices) -> None:
    """Reporting reads these branch files from now on (as after a deployment that changed them)."""
    for module in (publications, figures_api):
        monkeypatch.setattr(module, "definition_choices", lambda: chosen)


def outcomes(branch: Tenant, office: str, formed: date, recorded_at: datetime) -> list[tuple[str, EventEnvelope]]:
    """Eleven ended duos: six with a 6-month temporary-agency job during the duo, five with a training that does
    not qualify; all recorded at `recorded_at`."""
    out: list[tuple[str, EventEnvelope]] = []

    def add(source: str, event: DomainEvent, stream: str, version: int) -> None:
        meta = EventMetadata(tenant=branch, office=office, actor="staff-1", occurred_at=recorded_at)
        out.append((source, EventEnvelope.record(NewEvent(event, meta), stream, version, recorded_at)))

    for i in range(11):
        duo_id, mentee, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        formed_event = duo_formed(duo_id, mentee, mentor, formed)
        add("matching", formed_event, f"proposal-{duo_id}", 1)
        started = formed + timedelta(days=30)
        outcome: DomainEvent = (
            JobFound(
                duo_id=duo_id,
                job_id=uuid.uuid4(),
                mentee_id=mentee,
                sector="Q",
                contract_type="temporary_agency",
                contract_months=6,
                hours_per_week=30,
                started_on=started,
            )
            if i < 6
            else TrainingStarted(duo_id=duo_id, mentee_id=mentee, started_on=started, qualifying=False)
        )
        add("tracking", outcome, f"duo-{duo_id}", 1)
        ended = DuoEnded(
            duo_id=duo_id, mentee_id=mentee, mentor_id=mentor, ended_on=formed + timedelta(days=200), reason="completed"
        )
        add("tracking", ended, f"duo-{duo_id}", 2)
    return out


async def test_each_branchs_cells_are_of_its_own_definitions_and_the_publication_keeps_them(
    infra, reporting, monkeypatch
):
    """The same history in BE and NL, under each branch's own definitions: 6 positive exits and no sustainable job
    in BE (the trainings do not qualify, an agency contract does not count), 11 and 6 in NL. NL's file then changes
    its definitions back to a day before the publication: NL's own figures of that day follow it, the federation's
    publication keeps its cells and says what they were computed under."""
    client, settings = reporting
    today = datetime.now(TIMEZONES[Tenant.BE]).date()
    last = publication_date(None, today)
    assert last is not None
    use(
        monkeypatch,
        choices(
            BE=branch_file("BE", ("2024-01-01", BE)),
            NL=branch_file("NL", ("2024-01-01", NL)),
            FR=branch_file("FR", ("2024-01-01", OLD)),
        ),
    )
    noon = datetime.combine(last - timedelta(days=10), datetime.min.time(), UTC) + timedelta(hours=12)
    formed = last - timedelta(days=300)
    events = outcomes(Tenant.BE, "be-gent", formed, noon) + outcomes(Tenant.NL, "nl-rotterdam", formed, noon)
    await publish(infra.kafka_bootstrap, settings.topic_prefix, events)
    nl_funder = bearer("NL", Role.FUNDER, subject="funder-nl")

    async def nl_figures() -> dict:
        answer = await client.get("/figures", params={"as_of": str(last)}, headers=nl_funder)
        assert answer.status_code == 200, answer.text
        return answer.json()["figures"]

    async def all_in() -> bool:
        be = (await client.get("/figures", params={"as_of": str(last)}, headers=bearer("BE", Role.FUNDER))).json()
        return be["figures"]["duos_formed"] == 11 and (await nl_figures())["positive_exit"]["denominator"] == 11

    await eventually(all_in, 60, "both branches' histories consumed")

    async def rollup() -> dict:
        answer = await client.get("/figures", headers=FEDERATION)
        assert answer.status_code == 200, answer.text
        return answer.json()

    published = await rollup()
    assert published["publication"] == last.isoformat()
    cells = {
        b: {h: published["by_branch"][b][h] for h in ("duos_ended", "positive_exits", "sustainable_jobs")}
        for b in ("BE", "NL")
    }
    assert cells == {
        "BE": {"duos_ended": 11, "positive_exits": 6, "sustainable_jobs": 0},
        "NL": {"duos_ended": 11, "positive_exits": 11, "sustainable_jobs": 6},
    }
    assert published["definitions"] == {"BE": stated(BE), "FR": stated(OLD), "NL": stated(NL)}
    assert published["sustainable_work"] == {"BE": BE[1], "FR": OLD[1], "NL": NL[1]}
    before = await nl_figures()
    assert (before["positive_exit"]["numerator"], before["sustainable_work"]["numerator"]) == (11, 6)

    # NL's file gains a version in force from a day before the publication: BE's definitions.
    back_dated = (last - timedelta(days=1)).isoformat()
    use(
        monkeypatch,
        choices(
            BE=branch_file("BE", ("2024-01-01", BE)),
            NL=branch_file("NL", ("2024-01-01", NL), (back_dated, BE)),
            FR=branch_file("FR", ("2024-01-01", OLD)),
        ),
    )
    after = await nl_figures()
    assert (after["positive_exit"]["numerator"], after["sustainable_work"]["numerator"]) == (6, 0)
    assert after["positive_exit"]["definition"] == BE[0]
    assert await rollup() == published  # the publication's cells, and what they were computed under
    # Asking the federation for a version is checked against the publication's definitions, not today's files:
    # NL's cells are of the agency version, so BE's sustainable-work version is not every branch's.
    refused = await client.get("/figures", params={"sustainable_work": BE[1]}, headers=FEDERATION)
    assert refused.status_code == 422 and refused.json()["errors"][0]["rule"] == "published_definition"
    con = await asyncpg.connect(settings.database_url)
    try:
        await init_connection(con)  # as the service's pool reads it
        [stored] = [p for p in await stored_publications(con) if p.published_on == last]
    finally:
        await con.close()
    assert stored.definitions == published["definitions"]


async def test_publications_stored_before_version_15_state_what_they_stated_until_then(database_url):
    """Rows written as the service wrote them before (through the pool's JSONB codec), for every branch and for a
    region of two, filled by migration 15 with the branch files' choice in force on each publication's day."""
    con = await asyncpg.connect(database_url)
    try:
        await init_connection(con)
        await migrate(con, MIGRATIONS, upto={"reporting": 14})
        rows = {date(2026, 12, 31): ("BE", "FR", "NL"), date(2027, 3, 31): ("BE", "NL")}
        for day, branches in rows.items():
            tables = {"rollup": [[b, "registered", 0, False] for b in (*branches, "total")], "plan": []}
            await con.execute(
                "INSERT INTO federation_publications (published_on, tables) VALUES ($1, $2::jsonb)",
                day,
                json.dumps(tables),
            )
        await migrate(con, MIGRATIONS)
        stored = {p.published_on: p.definitions for p in await stored_publications(con)}
    finally:
        await con.close()
    files = definition_choices()
    assert stored == {day: {b: files.for_branch(b, day).stated() for b in rows[day]} for day in rows}
    assert stored[date(2026, 12, 31)]["NL"] == stated(OLD)  # before 2027: every branch's first version
    assert stored[date(2027, 3, 31)]["NL"]["sustainable_work"] == "sustainable-work-published/v2"
