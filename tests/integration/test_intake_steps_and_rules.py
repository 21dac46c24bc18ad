"""Intake's second pass on the real database and broker: the steps before matching (seen through matching's pool
over Kafka), versioned rules that change decisions only from their date, rejoining, refused mentors, outcomes
found before a duo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.intake.adapters.rules_files import load_rule_book
from services.intake.app import create_app
from services.intake.domain.rules import RuleBook
from shared.auth.identity import Role
from shared.config import ServiceSettings
from shared.tenancy import Tenant
from tests.auth import VERIFIER, bearer
from tests.conftest import eventually, unique
from tests.integration.intake_harness import (
    BE,
    EXAMPLES_DATED,
    VAULT_KEY,
    IntakeHarness,
    body_of,
    complete_training,
    make_ready,
    mentee_body,
    mentor_body,
)
from tests.integration.matching_harness import MatchingHarness

pytestmark = pytest.mark.integration


async def pool_status(matching: MatchingHarness, mentee_id: str) -> str | None:
    return await matching.fetchval("SELECT status FROM pool_mentees WHERE mentee_id = $1::uuid", mentee_id)


async def test_a_mentee_becomes_matchable_only_after_the_session_and_a_suitable_interview(
    intake: IntakeHarness, matching: MatchingHarness
):
    registered = await intake.client.post("/mentees", json=mentee_body())
    assert registered.status_code == 201 and registered.json()["ready_for_matching"] is False, registered.text
    mentee_id = registered.json()["mentee_id"]
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    await complete_training(intake.client, mentor_id)

    async def in_pool_as(status: str):
        async def arrived() -> bool:
            return await pool_status(matching, mentee_id) == status

        await eventually(arrived, 60, f"the mentee in matching's pool as {status}")

    await in_pool_as("registered")
    await matching.in_pool(0, 1)
    # Not matchable yet: a round proposes nobody, a manual proposal is refused.
    assert (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"] == []
    manual = await matching.client.post("/proposals", json={"mentee_id": mentee_id, "mentor_id": mentor_id})
    assert manual.status_code == 409, manual.text

    # The interview needs a coded reason unless suitable; "not now" does not make them ready.
    no_reason = await intake.client.post(f"/mentees/{mentee_id}/intake-interview", json={"outcome": "not_now"})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["rule"] == "reason_required"
    not_now = await intake.client.post(
        f"/mentees/{mentee_id}/intake-interview", json={"outcome": "not_now", "reason": "language_level"}
    )
    assert not_now.status_code == 200 and not not_now.json()["ready_for_matching"], not_now.text
    assert not_now.json()["interview_reason"] == "language_level"
    session = await intake.client.post(f"/mentees/{mentee_id}/information-session", json={})
    assert session.status_code == 200 and not session.json()["ready_for_matching"]
    listed = await intake.client.get("/mentees", params={"office": "be-antwerpen", "ready_for_matching": "true"})
    assert mentee_id not in [p["person_id"] for p in listed.json()["items"]]

    ready = await intake.client.post(f"/mentees/{mentee_id}/intake-interview", json={"outcome": "suitable"})
    assert ready.status_code == 200 and ready.json()["ready_for_matching"], ready.text
    assert await intake.stored_events(f"mentee-{mentee_id}") == [
        "MenteeRegistered",
        "IntakeInterviewHeld",
        "InformationSessionAttended",
        "IntakeInterviewHeld",
        "MenteeReadyForMatching",
    ]
    again = await intake.client.post(f"/mentees/{mentee_id}/intake-interview", json={"outcome": "suitable"})
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "not_ready_for_matching"

    await in_pool_as("waiting")
    [proposal] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    assert (proposal["mentee_id"], proposal["mentor_id"]) == (mentee_id, mentor_id)


async def test_steps_are_dated_between_registration_and_the_branchs_today(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    cases = [
        ("information-session", {"attended_on": "2020-01-01"}, "attended_on", "not_before_registration"),
        ("information-session", {"attended_on": "2099-01-01"}, "attended_on", "not_in_future"),
        ("intake-interview", {"outcome": "suitable", "held_on": "2099-01-01"}, "held_on", "not_in_future"),
        ("intake-interview", {"outcome": "maybe"}, "outcome", "literal_error"),
    ]
    for step, body, field, rule in cases:
        answer = await intake.client.post(f"/mentees/{mentee_id}/{step}", json=body)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["errors"][0]["field"], answer.json()["errors"][0]["rule"]) == (field, rule)
    assert await intake.stored_events(f"mentee-{mentee_id}") == ["MenteeRegistered"]


async def test_a_withdrawn_mentee_rejoins_on_the_same_id_and_goes_through_the_interview_again(
    intake: IntakeHarness,
):
    body = mentee_body()
    mentee_id = (await intake.client.post("/mentees", json=body)).json()["mentee_id"]
    await make_ready(intake.client, mentee_id)
    not_withdrawn = await intake.client.post(f"/mentees/{mentee_id}/rejoin", json={})
    assert not_withdrawn.status_code == 409 and not_withdrawn.json()["errors"][0]["rule"] == "withdrawn"
    left = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "moved_away"})
    assert left.status_code == 200

    duplicate = await intake.client.post("/mentees", json=body | {"email": body["email"].upper()})
    assert duplicate.status_code == 409 and duplicate.json()["existing_status"] == "withdrawn"
    assert f"POST /mentees/{mentee_id}/rejoin" in duplicate.json()["detail"]

    rejoined = await intake.client.post(f"/mentees/{mentee_id}/rejoin")
    assert rejoined.status_code == 200, rejoined.text
    view = rejoined.json()
    assert view["mentee_id"] == mentee_id and view["status"] == "registered" and not view["ready_for_matching"]
    assert view["information_session_on"] is not None and view["interview_outcome"] is None
    interview = await intake.client.post(f"/mentees/{mentee_id}/intake-interview", json={"outcome": "suitable"})
    assert interview.json()["ready_for_matching"], interview.text
    events = await intake.stored_events(f"mentee-{mentee_id}")
    assert events[-4:] == ["MenteeWithdrawn", "MenteeRejoined", "IntakeInterviewHeld", "MenteeReadyForMatching"]
    records = await intake.published_stream(f"mentee-{mentee_id}", 8)
    [record] = [r for r in records if dict(r.headers)["ce_type"] == b"MenteeRejoined"]
    assert body_of(record)["rules_version"] == "2024.1" and body_of(record)["age_band"] == "25-29"


async def test_a_withdrawn_mentor_rejoins_ready_if_trained(intake: IntakeHarness):
    mentor_id = (await intake.client.post("/mentors", json=mentor_body())).json()["mentor_id"]
    await complete_training(intake.client, mentor_id)
    await intake.client.post(f"/mentors/{mentor_id}/withdrawal", json={"reason": "health"})
    rejoined = await intake.client.post(f"/mentors/{mentor_id}/rejoin", json={})
    assert rejoined.status_code == 200 and rejoined.json()["status"] == "ready", rejoined.text
    assert rejoined.json()["ready_for_matching"]
    assert (await intake.stored_events(f"mentor-{mentor_id}"))[-1] == "MentorRejoined"


async def test_a_refused_mentor_is_recorded_like_a_refused_mentee(intake: IntakeHarness):
    before = await intake.counts()
    refused = await intake.client.post(
        "/mentors", json=mentor_body(birth_date="1990-01-01", experience=[{"sector": "Q", "years": 0}])
    )
    assert refused.status_code == 422, refused.text
    application_id = refused.json()["application_id"]
    assert [e["rule"] for e in refused.json()["errors"]] == ["min_age", "professional_experience"]
    assert await intake.stored_events(f"application-{application_id}") == ["MentorApplicationRejected"]
    after = await intake.counts()
    assert after["personal_data"] == before["personal_data"] and after["people"] == before["people"]
    [record] = await intake.published_stream(f"application-{application_id}", 1)
    assert body_of(record)["failed_rules"] == ["min_age", "professional_experience"]
    assert body_of(record)["rules_version"] == "2024.1" and body_of(record)["age_band"] == "35-49"


async def test_several_nationalities_stateless_and_the_old_single_field(intake: IntakeHarness):
    def old(**changes) -> dict:
        return {k: v for k, v in mentee_body(**changes).items() if k != "nationalities"}

    for body, kept in [
        (mentee_body(nationalities=["BE", "MA"], residence_permit="citizen"), ["BE", "MA"]),
        (old(stateless=True, residence_permit="international_protection"), []),
        (old(nationality="SY"), ["SY"]),
    ]:
        answer = await intake.client.post("/mentees", json=body)
        assert answer.status_code == 201, answer.text
        personal = (await intake.client.get(f"/mentees/{answer.json()['mentee_id']}")).json()["personal"]
        assert personal["nationalities"] == kept
    eu_only = await intake.client.post("/mentees", json=mentee_body(nationalities=["BE", "FR"]))
    assert eu_only.status_code == 422 and eu_only.json()["errors"][0]["field"] == "nationalities"


async def test_a_mentee_who_found_work_records_the_outcome_before_any_duo(intake: IntakeHarness):
    mentee_id = (await intake.client.post("/mentees", json=mentee_body())).json()["mentee_id"]
    missing = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "found_work"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["rule"] == "outcome_required"
    job = {"sector": "Q", "contract_type": "fixed_term", "hours_per_week": 30, "started_on": "2026-11-20"}
    no_months = await intake.client.post(f"/mentees/{mentee_id}/withdrawal", json={"reason": "found_work", "job": job})
    assert no_months.status_code == 422 and no_months.json()["errors"][0]["rule"] == "contract_months_fixed_term"
    left = await intake.client.post(
        f"/mentees/{mentee_id}/withdrawal", json={"reason": "found_work", "job": job | {"contract_months": 6}}
    )
    assert left.status_code == 200 and left.json()["withdrawal_reason"] == "found_work", left.text
    assert (await intake.stored_events(f"mentee-{mentee_id}"))[-2:] == ["MenteeOutcomeBeforeDuo", "MenteeWithdrawn"]
    [_, outcome, _] = await intake.published_stream(f"mentee-{mentee_id}", 3)
    assert body_of(outcome) == {
        "mentee_id": mentee_id,
        "kind": "job",
        "started_on": "2026-11-20",
        "sector": "Q",
        "contract_type": "fixed_term",
        "contract_months": 6,
        "hours_per_week": 30.0,
        "qualifying": None,
    }


async def test_rules_in_force_are_shown_for_a_date(intake: IntakeHarness):
    rules = await intake.client.get("/rules", params={"on": "2026-01-01"})
    assert rules.status_code == 200, rules.text
    shown = rules.json()
    assert shown["branch"] == "BE" and shown["version"] == "2024.1" and shown["valid_until"] is None
    assert shown["mentee"]["max_age"]["value"] == 33 and shown["mentee"]["max_age"]["placeholder"] is False
    assert "OECD" in shown["mentee"]["max_age"]["source"]
    assert {"30-33", "34"} <= set(shown["age_bands"]) and "30-34" not in shown["age_bands"]
    assert (await intake.client.get("/rules", headers=bearer("BE", Role.FUNDER))).status_code == 200
    other = await intake.client.get("/rules", params={"branch": "NL"})
    assert other.status_code == 403
    before = await intake.client.get("/rules", params={"on": "2020-01-01"})
    assert before.status_code == 422 and before.json()["errors"][0]["rule"] == "rules_in_force"


async def test_a_rules_change_applies_only_from_its_date(infra, database_url: str):
    """A version valid from ten days after the examples' day lowers BE's maximum age to 25: a 27-year-old is
    registered before that day and refused from it on; the registration made before stays as it was."""
    book = load_rule_book()
    current = book.in_force(Tenant.BE, EXAMPLES_DATED)
    change_day = EXAMPLES_DATED + timedelta(days=10)
    stricter = replace(current, version="2026.test", valid_from=change_day, mentee=replace(current.mentee, max_age=25))
    days_ahead = [0]
    shift = datetime.now(UTC).date() - EXAMPLES_DATED
    app = create_app(
        ServiceSettings(
            service="intake",
            database_url=database_url,
            kafka_bootstrap_servers=infra.kafka_bootstrap,
            topic_prefix=unique("r") + ".",
            token_verifier=VERIFIER,
        ),
        clock=lambda: datetime.now(UTC) - shift + timedelta(days=days_ahead[0]),
        rules=RuleBook((*book.versions, stricter)),
        master_keys=VAULT_KEY,
    )
    aged_27 = (EXAMPLES_DATED - timedelta(days=365 * 27 + 30)).isoformat()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake", headers=BE) as client,
    ):
        before = await client.post("/mentees", json=mentee_body(birth_date=aged_27))
        assert before.status_code == 201 and before.json()["rules_version"] == "2024.1", before.text
        shown = (await client.get("/rules", params={"on": change_day.isoformat()})).json()
        assert shown["version"] == "2026.test" and shown["mentee"]["max_age"]["value"] == 25
        previous = (await client.get("/rules", params={"on": EXAMPLES_DATED.isoformat()})).json()
        assert previous["version"] == "2024.1" and previous["valid_until"] == (change_day - timedelta(1)).isoformat()

        days_ahead[0] = 10
        after = await client.post("/mentees", json=mentee_body(birth_date=aged_27))
        assert after.status_code == 422 and [e["rule"] for e in after.json()["errors"]] == ["max_age"], after.text
        still = (await client.get(f"/mentees/{before.json()['mentee_id']}")).json()
        assert still["status"] == "registered" and still["rules_version"] == "2024.1"
        # The new version's bands split at its own limit: 25 is the last eligible age.
        assert {"25", "26-29"} <= set(shown["age_bands"])
    assert date.fromisoformat(shown["valid_from"]) == change_day
