"""A coordinator's lists from reporting's programme index, on small hand-made histories: who waits for a mentor
and since when, which proposals are open and when they expire, and the inactive duos and follow-ups due that
the figures count, one by one. Whatever order the facts arrive in."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from services.reporting.domain.coordination import (
    DEFAULT_LIMIT,
    Offices,
    coordination,
    follow_ups_due,
    inactive_duos,
)
from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, figures
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant

AS_OF = date(2026, 3, 31)
BELGIUM = Offices(Tenant.BE)


class History:
    """Envelopes as the services record them; each fact at 10:00 UTC of its day (or later, `minutes` after)."""

    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []

    def add(
        self, event_type: str, data: dict, on: date, office: str = "be-antwerpen", minutes: int = 0
    ) -> EventEnvelope:
        moment = datetime.combine(on, time(10), UTC) + timedelta(minutes=minutes)
        envelope = EventEnvelope(
            event_id=uuid.uuid4(),
            event_type=event_type,
            schema_version=1,
            stream_id=f"s-{uuid.uuid4()}",
            stream_version=1,
            tenant=Tenant(office[:2].upper()),
            office=office,
            occurred_at=moment,
            recorded_at=moment,
            actor="staff-1",
            correlation_id=uuid.uuid4(),
            data={k: (str(v) if isinstance(v, uuid.UUID | date) else v) for k, v in data.items()},
        )
        self.events.append(envelope)
        return envelope

    def mentee(self, registered: date, ready: date | None = None, office: str = "be-antwerpen") -> uuid.UUID:
        mentee_id = uuid.uuid4()
        self.add("MenteeRegistered", {"mentee_id": mentee_id}, registered, office)
        if ready:
            self.add("MenteeReadyForMatching", {"mentee_id": mentee_id}, ready, office, minutes=1)
        return mentee_id

    def propose(self, mentee: uuid.UUID, on: date, expires: date, office: str = "be-antwerpen") -> uuid.UUID:
        proposal_id = uuid.uuid4()
        self.add(
            "MatchProposed",
            {
                "proposal_id": proposal_id,
                "mentee_id": mentee,
                "mentor_id": uuid.uuid4(),
                "score": 0.7,
                "terms": {},
                "config_version": "x",
                "expires_on": expires,
            },
            on,
            office,
            minutes=2,
        )
        return proposal_id

    def form(self, proposal: uuid.UUID, mentee: uuid.UUID, on: date, office: str = "be-antwerpen") -> uuid.UUID:
        duo_id = uuid.uuid4()
        self.add(
            "DuoFormed",
            {
                "duo_id": duo_id,
                "proposal_id": proposal,
                "mentee_id": mentee,
                "mentor_id": uuid.uuid4(),
                "province": "Antwerpen",
                "job_target_sector": "Q",
                "formed_on": on,
                "days_to_match": 10,
                "score": 0.7,
                "config_version": "x",
            },
            on,
            office,
            minutes=3,
        )
        return duo_id


def lists(history: History, where: Offices = BELGIUM, as_of: date = AS_OF, **kwargs) -> dict:
    return coordination(programme_of(history.events), where, as_of, **kwargs)


def ids(listed: dict, key: str) -> list[str]:
    return [item[key] for item in listed["items"]]


def test_a_mentee_waits_from_the_day_they_are_ready_until_a_duo_forms():
    h = History()
    registered_only = h.mentee(date(2026, 1, 5))
    waiting_long = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 20))
    waiting_short = h.mentee(date(2026, 3, 1), ready=date(2026, 3, 21))
    matched = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10))
    h.form(h.propose(matched, date(2026, 2, 1), date(2026, 2, 15)), matched, date(2026, 2, 10))

    waiting = lists(h)["waiting_mentees"]
    assert ids(waiting, "mentee_id") == [str(waiting_long), str(waiting_short)]  # the longest wait first
    first = waiting["items"][0]
    assert first["waiting_since"] == "2026-01-20" and first["days_waiting"] == 70
    assert first["registered_on"] == "2026-01-05" and first["open_proposal"] is None
    assert str(registered_only) not in ids(waiting, "mentee_id") and str(matched) not in ids(waiting, "mentee_id")


def test_withdrawing_leaves_the_list_and_rejoining_waits_again_only_once_ready_again():
    h = History()
    mentee = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10))
    h.add("MenteeWithdrawn", {"mentee_id": mentee, "reason": "other"}, date(2026, 2, 1))
    assert lists(h)["waiting_mentees"]["total"] == 0
    h.add("MenteeRejoined", {"mentee_id": mentee, "age_band": "18-25", "rules_version": "x"}, date(2026, 3, 1))
    assert lists(h)["waiting_mentees"]["total"] == 0  # the intake interview comes again first
    h.add("MenteeReadyForMatching", {"mentee_id": mentee}, date(2026, 3, 10))
    (item,) = lists(h)["waiting_mentees"]["items"]
    assert item["waiting_since"] == "2026-03-10" and item["days_waiting"] == 21


def test_open_proposals_until_formed_declined_or_expired_with_their_expiry():
    h = History()
    people = [h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10)) for _ in range(5)]
    open_soon = h.propose(people[0], date(2026, 3, 25), date(2026, 4, 8))
    overdue = h.propose(people[1], date(2026, 3, 1), date(2026, 3, 15))
    h.add("MatchAccepted", {"proposal_id": overdue, "side": "mentee"}, date(2026, 3, 5))
    h.add("FirstMeetingScheduled", {"proposal_id": overdue, "meeting_on": date(2026, 3, 4)}, date(2026, 3, 2))
    declined = h.propose(people[2], date(2026, 3, 1), date(2026, 3, 15))
    h.add(
        "MatchDeclined",
        {
            "proposal_id": declined,
            "mentee_id": people[2],
            "mentor_id": uuid.uuid4(),
            "side": "mentor",
            "reason": "other",
        },
        date(2026, 3, 5),
    )
    expired = h.propose(people[3], date(2026, 2, 1), date(2026, 2, 15))
    h.add(
        "MatchExpired", {"proposal_id": expired, "mentee_id": people[3], "mentor_id": uuid.uuid4()}, date(2026, 2, 16)
    )
    formed = h.propose(people[4], date(2026, 3, 1), date(2026, 3, 15))
    h.form(formed, people[4], date(2026, 3, 5))

    result = lists(h)
    proposals = result["open_proposals"]
    assert ids(proposals, "proposal_id") == [str(overdue), str(open_soon)]  # the soonest expiry first
    late, soon = proposals["items"]
    assert late["overdue"] and late["days_to_expiry"] == -16 and late["accepted_by"] == ["mentee"]
    assert late["first_meeting_on"] == "2026-03-04"
    assert not soon["overdue"] and soon["days_to_expiry"] == 8 and soon["expires_on"] == "2026-04-08"
    # A declined or expired pair returns to the pool: they wait (with no open proposal); the formed one does not.
    waiting = {m["mentee_id"]: m for m in result["waiting_mentees"]["items"]}
    assert set(waiting) == {str(p) for p in people[:4]}
    assert waiting[str(people[0])]["open_proposal"] == str(open_soon)
    assert waiting[str(people[0])]["proposal_expires_on"] == "2026-04-08"
    assert waiting[str(people[2])]["open_proposal"] is None


def test_the_lists_do_not_depend_on_the_order_the_facts_arrive_in_nor_on_redeliveries():
    h = History()
    people = [h.mentee(date(2026, 1, d), ready=date(2026, 1, d + 1)) for d in range(1, 9)]
    for i, mentee in enumerate(people[:6]):
        proposal = h.propose(mentee, date(2026, 2, 1 + i), date(2026, 2, 20 + i))
        if i % 3 == 0:
            h.form(proposal, mentee, date(2026, 2, 10 + i))
        elif i % 3 == 1:
            h.add(
                "MatchExpired",
                {"proposal_id": proposal, "mentee_id": mentee, "mentor_id": uuid.uuid4()},
                date(2026, 3, 1),
            )
    h.add("MenteeWithdrawn", {"mentee_id": people[7], "reason": "other"}, date(2026, 3, 2))
    expected = lists(h)
    rng = random.Random(3)
    for _ in range(20):
        shuffled = h.events + rng.sample(h.events, 5)  # some facts twice
        rng.shuffle(shuffled)
        assert coordination(programme_of(shuffled), BELGIUM, AS_OF) == expected
    assert expected["waiting_mentees"]["total"] == 5 and expected["open_proposals"]["total"] == 2


def test_a_coordinator_sees_only_their_branch_and_offices():
    h = History()
    antwerp = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10))
    gent = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10), office="be-gent")
    amsterdam = h.mentee(date(2026, 1, 5), ready=date(2026, 1, 10), office="nl-amsterdam")
    h.propose(amsterdam, date(2026, 3, 20), date(2026, 4, 3), office="nl-amsterdam")
    assert ids(lists(h)["waiting_mentees"], "mentee_id") == sorted([str(antwerp), str(gent)])
    assert lists(h)["open_proposals"]["total"] == 0
    gent_only = lists(h, Offices(Tenant.BE, frozenset({"be-gent"})))
    assert ids(gent_only["waiting_mentees"], "mentee_id") == [str(gent)]
    dutch = lists(h, Offices(Tenant.NL))
    assert ids(dutch["waiting_mentees"], "mentee_id") == [str(amsterdam)] and dutch["open_proposals"]["total"] == 1


def test_as_of_a_day_only_the_facts_recorded_by_then_count():
    h = History()
    h.mentee(date(2026, 1, 5), ready=date(2026, 3, 20))
    before = datetime.combine(date(2026, 3, 1), time(23, 59), UTC)
    assert coordination(programme_of(h.events, before), BELGIUM, date(2026, 3, 1))["waiting_mentees"]["total"] == 0
    assert lists(h)["waiting_mentees"]["total"] == 1


def test_inactive_duos_and_follow_ups_due_are_the_figures_ones_listed():
    h = History()
    rng = random.Random(11)
    for i in range(40):
        mentee = h.mentee(date(2025, 1, 2), ready=date(2025, 1, 3))
        formed = date(2025, 1, 10) + timedelta(days=rng.randrange(0, 420))
        office = rng.choice(["be-antwerpen", "be-gent"])
        duo = h.form(h.propose(mentee, formed, formed + timedelta(days=14), office), mentee, formed, office)
        for week in range(rng.randrange(0, 12)):
            met = formed + timedelta(days=7 * (week + 1) + rng.randrange(0, 5))
            body = {"duo_id": duo, "met_on": met, "duration_minutes": 60, "mode": "online", "topics": ["social"]}
            h.add("MeetingLogged", body, met, office)
        if i % 2:
            ended = formed + timedelta(days=rng.randrange(30, 200))
            body = {
                "duo_id": duo,
                "mentee_id": mentee,
                "mentor_id": uuid.uuid4(),
                "ended_on": ended,
                "reason": "completed",
            }
            h.add("DuoEnded", body, ended, office)
            for months in (3, 6, 12):
                if rng.random() < 0.4:
                    body = {
                        "duo_id": duo,
                        "mentee_id": mentee,
                        "months": months,
                        "status": "employed",
                        "recorded_on": AS_OF,
                    }
                    h.add("FollowUpRecorded", body, ended + timedelta(days=31 * months), office)
    p = programme_of(h.events)
    counted = figures(p, Slice(Tenant.BE), AS_OF)
    assert len(inactive_duos(p, BELGIUM, AS_OF)) == counted.inactive_duos.count > 0
    assert len(follow_ups_due(p, BELGIUM, AS_OF)) == counted.follow_ups.due > 0
    gent = Offices(Tenant.BE, frozenset({"be-gent"}))
    assert len(inactive_duos(p, gent, AS_OF)) == figures(p, Slice(Tenant.BE, "be-gent"), AS_OF).inactive_duos.count
    due = follow_ups_due(p, BELGIUM, AS_OF)
    assert [d["due_on"] for d in due] == sorted(d["due_on"] for d in due)
    assert all(d["days_overdue"] >= 0 and d["months"] in (3, 6, 12) for d in due)
    silent = inactive_duos(p, BELGIUM, AS_OF)
    assert [d["days_without_meeting"] for d in silent] == sorted(
        (d["days_without_meeting"] for d in silent), reverse=True
    )
    assert all(d["days_without_meeting"] >= 21 for d in silent)


def test_each_list_gives_its_total_and_at_most_the_limit():
    h = History()
    for day in range(1, 11):
        h.mentee(date(2026, 1, day), ready=date(2026, 1, day))
    waiting = lists(h, limit=3)["waiting_mentees"]
    assert waiting["total"] == 10 and len(waiting["items"]) == 3
    assert [m["waiting_since"] for m in waiting["items"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert lists(h)["definitions"]["waiting-for-a-mentor/v1"].startswith("mentees ready for matching")


def test_a_page_holds_the_fifty_most_urgent_of_each_list_by_default():
    h = History()
    for day in range(51):
        h.mentee(date(2025, 11, 1) + timedelta(days=day), ready=date(2025, 11, 1) + timedelta(days=day))
    waiting = lists(h)["waiting_mentees"]
    assert waiting["total"] == 51 and len(waiting["items"]) == DEFAULT_LIMIT == 50
    assert waiting["items"][-1]["waiting_since"] == "2025-12-20"  # the one who became ready last is left out


def test_facts_of_one_moment_take_their_causal_order_not_their_random_ids():
    # A simulated calendar stamps a whole step with one instant: the registration and the readiness it led to
    # share it, and their random ids must not decide which came last.
    moment = datetime.combine(AS_OF, time(10), UTC)
    mentee_id = uuid.uuid4()

    def fact(event_type: str, version: int, event_id: str) -> EventEnvelope:
        return EventEnvelope(
            event_id=uuid.UUID(event_id),
            event_type=event_type,
            schema_version=1,
            stream_id=f"mentee-{mentee_id}",
            stream_version=version,
            tenant=Tenant.BE,
            office="be-antwerpen",
            occurred_at=moment,
            recorded_at=moment,
            actor="staff-1",
            correlation_id=uuid.uuid4(),
            data={"mentee_id": str(mentee_id)},
        )

    registered = fact("MenteeRegistered", 1, "ffffffff-0000-4000-8000-000000000000")  # sorts last by id
    ready = fact("MenteeReadyForMatching", 4, "00000000-0000-4000-8000-000000000000")
    for order in ([registered, ready], [ready, registered]):
        journey = programme_of(order).mentees[mentee_id]
        assert journey.status() == ("waiting", AS_OF)
