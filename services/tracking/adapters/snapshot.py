"""A duo's folded state as a JSON document, kept in its row beside the version it was folded up to.

A command then loads the duo from its row alone instead of reading and folding its whole stream (about 14 events a
duo in the demo, each decoded and validated again on every command; issue 24). The row is written in the
transaction of each append (PostgresDuos.save), so its version is always the stream's: the append's version check
(the event store's optimistic concurrency) is unchanged, and a snapshot can never be ahead of or behind the
stream it stands for.

The document holds what DuoState folds from tracking's own events; the facts of DuoFormed are the row's columns.
`FORMAT` names the layout: a row whose document has another (or none: written before snapshots, or by an older
version) is folded from its stream, as before, and gets the current layout at its next command. Change FORMAT
whenever DuoState's folded fields change (tests/unit/test_tracking_snapshot.py fails until the codec covers them).
"""

from __future__ import annotations

import uuid
from datetime import date
from types import MappingProxyType
from typing import Any

from services.tracking.domain.duo import DuoFacts, DuoState, Job, Referral
from shared.events.catalog import PartnerKind, ReferralOutcome

FORMAT = 1


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def to_document(s: DuoState) -> dict[str, Any]:
    """What the duo's row keeps of its state (JSON types only)."""
    return {
        "format": FORMAT,
        "meetings": s.meetings,
        "meeting_minutes": s.meeting_minutes,
        "last_met_on": _text(s.last_met_on),
        "plan_drawn_up_on": _text(s.plan_drawn_up_on),
        "goals": list(s.goals),
        "goals_reached": {goal: day.isoformat() for goal, day in s.goals_reached.items()},
        "jobs": [
            [
                str(j.job_id),
                j.sector,
                j.contract_type,
                j.contract_months,
                j.hours_per_week,
                j.started_on.isoformat(),
                _text(j.ended_on),
                _text(j.extended_on),
            ]
            for j in s.jobs
        ],
        "trainings": [[day.isoformat(), qualifying] for day, qualifying in s.trainings],
        "internships": [day.isoformat() for day in s.internships],
        "mentee_survey": s.mentee_survey,
        "mentor_survey": s.mentor_survey,
        "ended_on": _text(s.ended_on),
        "end_reason": s.end_reason,
        # JSON keys are text: the months (3, 6, 12) are written as "3", "6", "12".
        "follow_ups": {str(months): [status, day.isoformat()] for months, (status, day) in s.follow_ups.items()},
        "referrals": [
            [
                str(r.referral_id),
                str(r.partner_id),
                r.partner_kind,
                r.referred_on.isoformat(),
                r.accompanied,
                r.outcome,
                _text(r.outcome_recorded_on),
            ]
            for r in s.referrals
        ],
    }


def from_document(facts: DuoFacts, version: int, doc: dict[str, Any] | None) -> DuoState | None:
    """The duo's state from its row; None when the row keeps no document of this FORMAT (fold the stream then)."""
    if version == 0:
        return DuoState(facts)  # nothing recorded yet: the row is written with every append, so none was
    if doc is None or doc.get("format") != FORMAT:
        return None
    return DuoState(
        facts=facts,
        version=version,
        meetings=doc["meetings"],
        meeting_minutes=doc["meeting_minutes"],
        last_met_on=_day(doc["last_met_on"]),
        plan_drawn_up_on=_day(doc["plan_drawn_up_on"]),
        goals=tuple(doc["goals"]),
        goals_reached=MappingProxyType({goal: date.fromisoformat(day) for goal, day in doc["goals_reached"].items()}),
        jobs=tuple(_job(*row) for row in doc["jobs"]),
        trainings=tuple((date.fromisoformat(day), qualifying) for day, qualifying in doc["trainings"]),
        internships=tuple(date.fromisoformat(day) for day in doc["internships"]),
        mentee_survey=doc["mentee_survey"],
        mentor_survey=doc["mentor_survey"],
        ended_on=_day(doc["ended_on"]),
        end_reason=doc["end_reason"],
        follow_ups=MappingProxyType(
            {int(months): (status, date.fromisoformat(day)) for months, (status, day) in doc["follow_ups"].items()}
        ),
        referrals=tuple(_referral(*row) for row in doc["referrals"]),
    )


def _job(
    job_id: str,
    sector: str,
    contract_type: str,
    contract_months: int | None,
    hours_per_week: float,
    started_on: str,
    ended_on: str | None,
    extended_on: str | None,
) -> Job:
    return Job(
        uuid.UUID(job_id),
        sector,
        contract_type,
        contract_months,
        hours_per_week,
        date.fromisoformat(started_on),
        _day(ended_on),
        _day(extended_on),
    )


def _referral(
    referral_id: str,
    partner_id: str,
    partner_kind: PartnerKind,
    referred_on: str,
    accompanied: bool,
    outcome: ReferralOutcome | None,
    outcome_recorded_on: str | None,
) -> Referral:
    return Referral(
        uuid.UUID(referral_id),
        uuid.UUID(partner_id),
        partner_kind,
        date.fromisoformat(referred_on),
        accompanied,
        outcome,
        _day(outcome_recorded_on),
    )
