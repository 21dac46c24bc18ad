"""Partners and referrals end to end on the real database and broker: a coordinator registers the branch's partner
organisations (one per name, the name never on the topic), a duo's mentee is referred to one and its outcome recorded
later; every refused input names its field and changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.auth import bearer
from tests.integration.intake_harness import IntakeHarness
from tests.integration.matching_harness import MatchingHarness
from tests.integration.test_tracking import events_count, form_duo, today_of
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration


async def test_a_partner_is_registered_once_and_a_referral_and_its_outcome_are_recorded(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    c, path, today = tracking.client, f"/duos/{duo['duo_id']}", today_of(tracking).isoformat()

    new = {"name": "OCMW Antwerpen", "kind": "social_welfare_service", "office": "be-antwerpen"}
    registered = await c.post("/partners", json=new)
    assert registered.status_code == 201, registered.text
    partner_id = registered.json()["partner_id"]
    assert registered.json() == {**new, "partner_id": partner_id}
    again = await c.post("/partners", json={**new, "name": "ocmw  ANTWERPEN", "kind": "employer"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "name", again.text
    listed = await c.get("/partners", params={"kind": "social_welfare_service"})
    assert [p["partner_id"] for p in listed.json()] == [partner_id]
    assert (await c.get("/partners", headers=bearer("NL"))).json() == []  # another branch's list

    referred = await c.post(
        f"{path}/referrals", json={"partner_id": partner_id, "referred_on": today, "accompanied": True}
    )
    assert referred.status_code == 201, referred.text
    [referral] = referred.json()["referrals"]
    assert referral.items() >= {"partner_kind": "social_welfare_service", "accompanied": True, "outcome": None}.items()
    url = f"{path}/referrals/{referral['referral_id']}/outcome"
    recorded = await c.post(url, json={"outcome": "support_received"})
    assert recorded.status_code == 200 and recorded.json()["referrals"][0]["outcome"] == "support_received"
    twice = await c.post(url, json={"outcome": "waiting_list"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["rule"] == "referral_outcome_once", twice.text

    records = await read_topic(intake.kafka_bootstrap, tracking.topic, 3)
    # Two streams (the partner's, the duo's) on a topic keyed by stream: ordered within each stream only.
    bodies = {dict(r.headers)["ce_type"].decode(): json.loads(r.value) for r in records}
    assert set(bodies) == {"PartnerRegistered", "MenteeReferred", "ReferralOutcomeRecorded"}
    assert bodies["PartnerRegistered"] == {"partner_id": partner_id, "kind": "social_welfare_service"}  # no name
    assert bodies["ReferralOutcomeRecorded"] == {
        "duo_id": duo["duo_id"],
        "referral_id": referral["referral_id"],
        "mentee_id": duo["mentee_id"],
        "partner_id": partner_id,
        "partner_kind": "social_welfare_service",
        "outcome": "support_received",
        "recorded_on": today,
    }


async def test_refused_partners_and_referrals_name_their_field_and_change_nothing(
    intake: IntakeHarness, matching: MatchingHarness, tracking: MatchingHarness
):
    duo = await form_duo(intake, matching, tracking)
    c, path, today = tracking.client, f"/duos/{duo['duo_id']}", today_of(tracking).isoformat()
    nl_partner = await c.post(
        "/partners",
        json={"name": "Gemeente", "kind": "other_public_service", "office": "nl-amsterdam"},
        headers=bearer("NL"),
    )
    assert nl_partner.status_code == 201, nl_partner.text
    before = await events_count(tracking)
    partner = {"name": "Buurthuis", "kind": "local_association", "office": "be-antwerpen"}
    referral = {"partner_id": nl_partner.json()["partner_id"], "referred_on": today, "accompanied": False}
    cases = [
        ("/partners", {**partner, "kind": "bakery"}, 422, "kind"),
        ("/partners", {**partner, "name": ""}, 422, "name"),
        ("/partners", {**partner, "name": "A\u0007B"}, 422, "name"),
        ("/partners", {**partner, "office": "nl-amsterdam"}, 422, "office"),
        ("/partners", {**partner, "size": 3}, 422, "size"),
        (f"{path}/referrals", referral, 422, "partner_id"),  # another branch's partner
        (f"{path}/referrals", {**referral, "partner_id": str(uuid.uuid4())}, 422, "partner_id"),
        (f"{path}/referrals", {**referral, "accompanied": "yes"}, 422, "accompanied"),
        (f"{path}/referrals/{uuid.uuid4()}/outcome", {"outcome": "support_received"}, 404, "referral_id"),
        (f"{path}/referrals/{uuid.uuid4()}/outcome", {"outcome": "great"}, 422, "outcome"),
    ]
    for url, body, status, field in cases:
        answer = await c.post(url, json=body)
        assert answer.status_code == status, (url, body, answer.text)
        assert answer.json()["errors"][0]["field"] == field, (url, body, answer.text)
    gent = await c.post("/partners", json=partner, headers=bearer("BE", offices={"be-gent"}))
    assert gent.status_code == 403 and gent.json()["errors"][0]["field"] == "office"
    assert await events_count(tracking) == before
    assert await tracking.fetchval("SELECT count(*) FROM partners WHERE tenant = 'BE'") == 0
