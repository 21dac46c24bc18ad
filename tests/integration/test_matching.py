"""Matching end to end on the real database and broker: the pool built from intake's events over Kafka,
a round, the first meeting, both acceptances, DuoFormed on Kafka; a decline never proposed again; expiry;
two coordinators racing for one mentor."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.matching.app import units_of
from services.matching.domain.config import CURRENT
from services.matching.service import expire_overdue_proposals
from shared.tenancy import Tenant, local_today
from tests.auth import bearer
from tests.integration.intake_harness import IntakeHarness, complete_training, mentor_body, register_ready_mentee
from tests.integration.matching_harness import MatchingHarness
from tests.kafka_reading import read_topic

pytestmark = pytest.mark.integration


async def register(intake: IntakeHarness, mentees: int, mentors: int, **mentor_changes) -> tuple[list[str], list[str]]:
    # Each mentee attends the information session and is found suitable at the intake interview: only then
    # does matching's pool take them as waiting.
    mentee_ids = [await register_ready_mentee(intake.client) for _ in range(mentees)]
    mentor_ids = []
    for _ in range(mentors):
        mentor_id = (await intake.client.post("/mentors", json=mentor_body(**mentor_changes))).json()["mentor_id"]
        await complete_training(intake.client, mentor_id)
        mentor_ids.append(mentor_id)
    return mentee_ids, mentor_ids


async def meet_and_answer(matching: MatchingHarness, proposal_id: str, mentee: str, mentor: str):
    today = local_today(Tenant.BE, matching.now()).isoformat()  # the branch's day (from 23:00 UTC, not UTC's)
    met = await matching.client.post(f"/proposals/{proposal_id}/first-meeting", json={"meeting_on": today})
    assert met.status_code == 200, met.text
    answers = []
    for side, answer in (("mentee", mentee), ("mentor", mentor)):
        body = {"side": side, "answer": answer} | ({"reason": "availability"} if answer == "decline" else {})
        answers.append(await matching.client.post(f"/proposals/{proposal_id}/answers", json=body))
        if answer == "decline":
            break
    return answers


async def test_a_round_proposes_both_accept_after_the_first_meeting_and_the_duo_is_on_kafka(
    intake: IntakeHarness, matching: MatchingHarness
):
    [mentee_id], [mentor_id] = await register(intake, 1, 1)
    await matching.in_pool(1, 1)
    suggestions = (await matching.client.get(f"/suggestions/mentees/{mentee_id}")).json()
    assert suggestions["config_version"] == CURRENT.version
    [best] = suggestions["items"]
    assert best["person_id"] == mentor_id and best["feasible"] and best["reasons"]

    round_ = await matching.client.post("/rounds", json={"office": "be-antwerpen"})
    assert round_.status_code == 201, round_.text
    [proposal] = round_.json()["proposals"]
    assert proposal["mentee_id"] == mentee_id and proposal["mentor_id"] == mentor_id
    assert proposal["config_version"] == CURRENT.version and set(proposal["terms"]) >= {"sector"}

    early = await matching.client.post(
        f"/proposals/{proposal['proposal_id']}/answers", json={"side": "mentee", "answer": "accept"}
    )
    assert early.status_code == 409 and early.json()["errors"][0]["rule"] == "after_first_meeting"
    accepted_by_mentee, formed = await meet_and_answer(matching, proposal["proposal_id"], "accept", "accept")
    assert accepted_by_mentee.json()["status"] == "open"
    assert formed.status_code == 200 and formed.json()["status"] == "formed", formed.text

    # MatchProposed, FirstMeetingScheduled, MatchAccepted twice, DuoFormed
    records = await read_topic(intake.kafka_bootstrap, matching.topic, 5)
    [duo] = [r for r in records if dict(r.headers)["ce_type"] == b"DuoFormed"]
    headers, body = dict(duo.headers), json.loads(duo.value)
    assert headers["ce_tenant"] == b"BE" and headers["ce_office"] == b"be-antwerpen"
    assert body["mentee_id"] == mentee_id and body["mentor_id"] == mentor_id
    assert body["duo_id"] == formed.json()["duo_id"] and body["proposal_id"] == proposal["proposal_id"]
    assert body["province"] == "Antwerpen" and body["job_target_sector"] == "Q"
    assert body["formed_on"] == local_today(Tenant.BE, matching.now()).isoformat() and body["days_to_match"] >= 0
    assert body["score"] == proposal["score"] and body["config_version"] == CURRENT.version
    # The mentor had capacity 1: nobody is proposed to them any more; the mentee is in a duo.
    assert (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"] == []


async def test_the_first_meeting_with_what_each_side_said_there_forms_the_duo_in_one_request(
    intake: IntakeHarness, matching: MatchingHarness
):
    [mentee_id, other_mentee], [mentor_id, other_mentor] = await register(intake, 2, 2)
    await matching.in_pool(2, 2)
    first, second = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    today = local_today(Tenant.BE, matching.now())
    url = f"/proposals/{first['proposal_id']}/first-meeting"
    accept, decline = {"answer": "accept"}, {"answer": "decline", "reason": "availability"}
    refused = [
        ([{"side": "mentee"} | accept, {"side": "mentee"} | accept], "answers.1.side", "answered_once"),
        ([{"side": "mentee"} | decline, {"side": "mentor"} | accept], "answers.1", "after_decline"),
        ([{"side": "mentor", "answer": "decline"}], "answers.0", "reason_required"),
        ([{"side": "mentee"} | accept] * 3, "answers", "too_long"),
    ]
    events = await matching.fetchval("SELECT count(*) FROM events")
    for answers, field, rule in refused:
        answer = await matching.client.post(url, json={"meeting_on": today.isoformat(), "answers": answers})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field and answer.json()["errors"][0]["rule"] == rule, answer.text
    # Answers at a meeting still to come: refused whole, the meeting not scheduled either.
    tomorrow = {"meeting_on": (today + timedelta(days=1)).isoformat(), "answers": [{"side": "mentee"} | accept]}
    early = await matching.client.post(url, json=tomorrow)
    assert early.status_code == 409 and early.json()["errors"][0]["rule"] == "after_first_meeting", early.text
    assert await matching.fetchval("SELECT count(*) FROM events") == events

    both = {"meeting_on": today.isoformat(), "answers": [{"side": "mentee"} | accept, {"side": "mentor"} | accept]}
    key = {"Idempotency-Key": "first-meeting-both-answers"}
    formed = await matching.client.post(url, json=both, headers=key)
    assert formed.status_code == 200 and formed.json()["status"] == "formed", formed.text
    assert {formed.json()["mentee_id"], formed.json()["mentor_id"]} <= {
        mentee_id,
        other_mentee,
        mentor_id,
        other_mentor,
    }
    again = await matching.client.post(url, json=both, headers=key)  # a retry: the same answer, no second duo
    assert again.status_code == 200 and again.json() == formed.json()
    kinds = await matching.fetchval(
        "SELECT array_agg(event_type ORDER BY stream_version) FROM events WHERE stream_id = $1",
        f"proposal-{first['proposal_id']}",
    )
    assert kinds == ["MatchProposed", "FirstMeetingScheduled", "MatchAccepted", "MatchAccepted", "DuoFormed"]

    declined = await matching.client.post(
        f"/proposals/{second['proposal_id']}/first-meeting",
        json={"meeting_on": today.isoformat(), "answers": [{"side": "mentee"} | decline]},
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined", declined.text


async def test_an_office_board_gives_every_waiting_mentee_with_their_suggestions_in_one_read(
    intake: IntakeHarness, matching: MatchingHarness
):
    mentee_ids, mentor_ids = await register(intake, 3, 2)
    await matching.in_pool(3, 2)
    pair = {"mentee_id": mentee_ids[0], "mentor_id": mentor_ids[0]}
    proposal = (await matching.client.post("/proposals", json=pair)).json()
    await meet_and_answer(matching, proposal["proposal_id"], "decline", "accept")  # mentee 0 never meets mentor 0 again

    answer = await matching.client.get("/suggestions/offices/be-antwerpen?limit=5")
    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert board["office"] == "be-antwerpen" and board["config_version"] == CURRENT.version
    listed = [m["mentee_id"] for m in board["mentees"]]
    assert sorted(listed) == sorted(mentee_ids)
    assert [(m["registered_on"], m["mentee_id"]) for m in board["mentees"]] == sorted(
        (m["registered_on"], m["mentee_id"]) for m in board["mentees"]
    )  # the longest waiting first
    for mentee in board["mentees"]:  # each as its own route gives it
        alone = await matching.client.get(f"/suggestions/mentees/{mentee['mentee_id']}?limit=5")
        assert mentee["items"] == alone.json()["items"]
    by_mentee = {m["mentee_id"]: {i["person_id"] for i in m["items"]} for m in board["mentees"]}
    assert by_mentee[mentee_ids[0]] == {mentor_ids[1]} and by_mentee[mentee_ids[1]] == set(mentor_ids)

    for office, status in (("nl-amsterdam", 404), ("atlantis", 404)):
        refused = await matching.client.get(f"/suggestions/offices/{office}")
        assert refused.status_code == status and refused.json()["errors"][0]["field"] == "office_id", refused.text
    too_many = await matching.client.get("/suggestions/offices/be-antwerpen?limit=501")
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit", too_many.text
    gent_only = await matching.client.get(
        "/suggestions/offices/be-antwerpen", headers=bearer("BE", offices={"be-gent"})
    )
    assert gent_only.status_code == 403 and gent_only.json()["errors"][0]["rule"] == "office_of_caller"


async def test_a_declined_pair_is_never_proposed_again(intake: IntakeHarness, matching: MatchingHarness):
    [mentee_id], [mentor_id] = await register(intake, 1, 1)
    await matching.in_pool(1, 1)
    [proposal] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    [declined] = await meet_and_answer(matching, proposal["proposal_id"], "decline", "accept")
    assert declined.json()["status"] == "declined"
    again = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()
    assert again["proposals"] == [] and again["unmatched_mentees"] == [mentee_id]
    manual = await matching.client.post("/proposals", json={"mentee_id": mentee_id, "mentor_id": mentor_id})
    assert manual.status_code == 409 and manual.json()["errors"][0]["rule"] == "declined_before"
    assert (await matching.client.get(f"/suggestions/mentees/{mentee_id}")).json()["items"] == []


async def test_an_unanswered_proposal_expires_and_both_return_to_the_pool(
    intake: IntakeHarness, matching: MatchingHarness
):
    [mentee_id], [mentor_id] = await register(intake, 1, 1)
    await matching.in_pool(1, 1)
    [proposal] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    assert await expire_overdue_proposals(units_of(matching.app.state.runtime), matching.now) == 0
    matching.days_ahead = CURRENT.proposal_expiry_days + 1
    assert await expire_overdue_proposals(units_of(matching.app.state.runtime), matching.now) == 1
    # Recorded on the service's clock (the one the app was given, as a demo's simulated calendar is), not the real one.
    recorded = await matching.fetchval("SELECT recorded_at FROM events WHERE event_type = 'MatchExpired'")
    assert recorded > datetime.now(UTC) + timedelta(days=CURRENT.proposal_expiry_days)
    expired = (await matching.client.get(f"/proposals/{proposal['proposal_id']}")).json()
    assert expired["status"] == "expired"
    late = await matching.client.post(
        f"/proposals/{proposal['proposal_id']}/first-meeting",
        json={"meeting_on": local_today(Tenant.BE, matching.now()).isoformat()},
    )
    assert late.status_code == 409
    # Both are free again: an expired pair is not a declined one, so they may be proposed again.
    [again] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    assert (again["mentee_id"], again["mentor_id"]) == (mentee_id, mentor_id)


async def test_two_coordinators_racing_for_one_mentor_one_wins_the_other_gets_409(
    intake: IntakeHarness, matching: MatchingHarness
):
    mentees, [mentor_id, other_mentor] = await register(intake, 2, 2)  # each mentor has capacity 1
    await matching.in_pool(2, 2)
    answers = await asyncio.gather(
        *(matching.client.post("/proposals", json={"mentee_id": m, "mentor_id": mentor_id}) for m in mentees)
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["errors"][0]["rule"] == "no_free_capacity"
    load = await matching.fetchval(
        "SELECT open_proposals + active_duos FROM pool_mentors WHERE mentor_id = $1::uuid", mentor_id
    )
    assert load == 1
    # The other mentee proposed twice at the same instant: never in two open proposals.
    loser = mentees[answers.index(refused)]
    twice = await asyncio.gather(
        *(matching.client.post("/proposals", json={"mentee_id": loser, "mentor_id": other_mentor}) for _ in range(2))
    )
    assert sorted(a.status_code for a in twice) == [201, 409], [a.text for a in twice]
    open_of_loser = await matching.fetchval(
        "SELECT count(*) FROM proposals WHERE mentee_id = $1::uuid AND status = 'open'", loser
    )
    assert open_of_loser == 1


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    intake: IntakeHarness, matching: MatchingHarness
):
    cases = [
        ("/rounds", {}, "body", "one_scope"),
        ("/rounds", {"office": "be-antwerpen", "province": "Antwerpen"}, "body", "one_scope"),
        ("/rounds", {"office": "fr-paris"}, "office", "office_of_branch"),
        ("/rounds", {"office": "atlantis"}, "office", "literal_error"),
        ("/proposals", {"mentee_id": "nope", "mentor_id": "nope"}, "mentee_id", "uuid_parsing"),
    ]
    for path, body, field, rule in cases:
        answer = await matching.client.post(path, json=body)
        assert answer.status_code == 422, (path, body, answer.text)
        assert answer.json()["errors"][0]["field"] == field and answer.json()["errors"][0]["rule"] == rule, answer.text
    assert await matching.fetchval("SELECT count(*) FROM events") == 0
    answer = await matching.client.post(
        "/proposals/00000000-0000-0000-0000-000000000000/answers", json={"side": "mentee", "answer": "decline"}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["rule"] == "reason_required"


async def test_when_a_duo_ends_the_mentor_returns_to_the_pool_and_the_mentee_leaves_it(
    intake: IntakeHarness, matching: MatchingHarness
):
    import uuid

    from shared.clock import utc_now
    from shared.events.catalog import DuoEnded
    from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
    from shared.kafka import new_producer
    from shared.tenancy import Tenant
    from tests.conftest import eventually
    from tests.signing import signed_kafka

    [mentee_id], [mentor_id] = await register(intake, 1, 1)
    await matching.in_pool(1, 1)
    [proposal] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    *_, formed = await meet_and_answer(matching, proposal["proposal_id"], "accept", "accept")
    duo_id = formed.json()["duo_id"]

    ended = DuoEnded(
        duo_id=uuid.UUID(duo_id),
        mentee_id=uuid.UUID(mentee_id),
        mentor_id=uuid.UUID(mentor_id),
        ended_on=local_today(Tenant.BE, matching.now()),  # the branch's day, as tracking records it
        reason="completed",
    )
    meta = EventMetadata(tenant=Tenant.BE, office="be-antwerpen", actor="coordinator-1")
    envelope = EventEnvelope.record(NewEvent(ended, meta), f"duo-{duo_id}", 1, utc_now())
    producer = new_producer(intake.kafka_bootstrap)
    await producer.start()
    try:
        key, value, headers = signed_kafka(envelope, "tracking")
        await producer.send_and_wait(
            matching.topic.replace("matching", "tracking"), value=value, key=key, headers=headers
        )
    finally:
        await producer.stop()

    async def mentor_free_again() -> bool:
        duos = await matching.fetchval("SELECT active_duos FROM pool_mentors WHERE mentor_id = $1::uuid", mentor_id)
        return duos == 0

    await eventually(mentor_free_again, 60, "the mentor's duo ended in the pool")
    assert await matching.fetchval("SELECT status FROM pool_mentees WHERE mentee_id = $1::uuid", mentee_id) == "gone"
    [newcomer], _ = await register(intake, 1, 0)
    await matching.in_pool(1, 1)
    [again] = (await matching.client.post("/rounds", json={"office": "be-antwerpen"})).json()["proposals"]
    assert (again["mentee_id"], again["mentor_id"]) == (newcomer, mentor_id)  # retention: the mentor goes on
