"""Referrals to partner organisations, counted per partner kind, on a small hand-made history whose right answers are
worked out here: each referral once (redelivered or not), those the mentor went along to, the outcomes recorded,
as of the day they were recorded, in the slice of their duo."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.reporting.domain.programme import programme_of
from services.reporting.domain.report import Slice, figures
from shared.tenancy import Tenant
from tests.unit.test_reporting_figures import BELGIUM, History


def refer(
    h: History, duo: uuid.UUID, kind: str, on: date, accompanied: bool, recorded: date | None = None
) -> uuid.UUID:
    referral = uuid.uuid4()
    data = {
        "duo_id": duo,
        "referral_id": referral,
        "mentee_id": uuid.uuid4(),
        "partner_id": uuid.uuid4(),
        "partner_kind": kind,
        "referred_on": on,
        "accompanied": accompanied,
    }
    h.add("MenteeReferred", data, on, recorded=recorded)
    return referral


def outcome(h: History, duo: uuid.UUID, referral: uuid.UUID, kind: str, what: str, on: date) -> None:
    data = {
        "duo_id": duo,
        "referral_id": referral,
        "mentee_id": uuid.uuid4(),
        "partner_id": uuid.uuid4(),
        "partner_kind": kind,
        "outcome": what,
        "recorded_on": on,
    }
    h.add("ReferralOutcomeRecorded", data, on)


def test_referrals_and_their_outcomes_are_counted_per_partner_kind_as_of_the_day_they_were_recorded():
    h = History()
    one, two = h.duo(date(2026, 1, 5)), h.duo(date(2026, 2, 1), office="be-gent")
    welfare = refer(h, one, "social_welfare_service", date(2026, 1, 20), accompanied=True)
    outcome(h, one, welfare, "social_welfare_service", "support_received", date(2026, 3, 1))
    refer(h, one, "local_association", date(2026, 2, 10), accompanied=False)
    late = refer(h, two, "social_welfare_service", date(2026, 2, 15), False, recorded=date(2026, 4, 1))
    outcome(h, two, late, "social_welfare_service", "waiting_list", date(2026, 4, 2))

    p = programme_of([*h.events, h.events[2]])  # a redelivered referral is one referral
    by_kind = figures(p, BELGIUM, date(2026, 5, 1)).referrals_by_partner_kind
    assert {k: v.model_dump() for k, v in by_kind.items()} == {
        "local_association": {"referred": 1, "accompanied": 0, "outcomes": {}},
        "social_welfare_service": {
            "referred": 2,
            "accompanied": 1,
            "outcomes": {"support_received": 1, "waiting_list": 1},
        },
    }
    # As of 2026-03-15 the late referral (recorded 2026-04-01) and its outcome are not known yet.
    known = programme_of(h.events, recorded_by=datetime(2026, 3, 15, 23, tzinfo=UTC))
    assert figures(known, BELGIUM, date(2026, 3, 15)).referrals_by_partner_kind[
        "social_welfare_service"
    ].model_dump() == {
        "referred": 1,
        "accompanied": 1,
        "outcomes": {"support_received": 1},
    }
    # A slice holds the referrals of its duos only.
    gent = figures(p, Slice(Tenant.BE, office="be-gent"), date(2026, 5, 1)).referrals_by_partner_kind
    assert set(gent) == {"social_welfare_service"} and gent["social_welfare_service"].referred == 1
