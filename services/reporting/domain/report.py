"""The programme's figures for a slice, as of a date, each under its stated definition. Pure."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from services.reporting.domain.definitions import (
    ACTIVE_MENTORS,
    DEFAULT_SUSTAINABLE_WORK,
    FOLLOW_UP_DUE,
    FOLLOW_UP_MONTHS,
    INACTIVE_AFTER_DAYS,
    INACTIVE_DUO,
    MENTOR_RETENTION,
    OUTCOME_WINDOW_MONTHS,
    POSITIVE_EXIT,
    SUSTAINABLE_WORK,
    TIME_TO_MATCH,
)
from services.reporting.domain.programme import Duo, Place, Programme
from shared.tenancy import Tenant

TIME_TO_MATCH_BUCKETS = ((0, 14), (15, 30), (31, 60), (61, 90), (91, None))


@dataclass(frozen=True)
class Slice:
    """Which part of the programme: a branch (None: every branch), an office or a province, a year."""

    branch: Tenant | None = None
    office: str | None = None
    province: str | None = None
    year: int | None = None  # of the duo's formation; of the registration for people's figures

    def holds(self, place: Place, day: date) -> bool:
        return (
            (self.branch is None or place.tenant == self.branch)
            and (self.office is None or place.office == self.office)
            and (self.province is None or place.province == self.province)
            and (self.year is None or day.year == self.year)
        )


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _rate(numerator: int, denominator: int) -> dict:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(numerator / denominator, 4) if denominator else None,
    }


def _within_window(duo: Duo, started: str | None) -> bool:
    if not started or duo.ended_on is None:
        return False
    return date.fromisoformat(started) <= add_months(duo.ended_on, OUTCOME_WINDOW_MONTHS)


def figures(p: Programme, where: Slice, as_of: date, sustainable: str = DEFAULT_SUSTAINABLE_WORK) -> dict:
    """Every figure of the slice as of `as_of` (the programme holds only the events recorded by then)."""
    work = SUSTAINABLE_WORK[sustainable]
    registrations = [pid for pid, (place, day) in p.registrations.items() if where.holds(place, day)]
    refusals = [rules for place, day, rules in p.refusals if where.holds(place, day)]
    duos = [d for d in p.duos.values() if where.holds(d.place, d.formed_on)]
    ended = [d for d in duos if d.ended_on is not None and d.ended_on <= as_of]
    positive = [
        d for d in ended if any(_within_window(d, o.get("started_on")) for o in (*d.jobs, *d.trainings, *d.internships))
    ]
    sustainable_jobs = [
        d
        for d in ended
        if any(
            _within_window(d, j.get("started_on")) and work.counts(j.get("contract_type", ""), j.get("contract_months"))
            for j in d.jobs
        )
    ]
    meetings = [m for d in duos for m in d.meetings]
    days_to_match = sorted(d.days_to_match for d in duos)
    return {
        "applications": {
            "total": len(registrations) + len(refusals),
            "registered": len(registrations),
            "refused": len(refusals),
            "refused_by_rule": dict(Counter(r for rules in refusals for r in rules)),
        },
        "duos_formed": len(duos),
        "positive_exit": {**_rate(len(positive), len(ended)), "definition": POSITIVE_EXIT.key},
        "sustainable_work": {**_rate(len(sustainable_jobs), len(ended)), "definition": work.key},
        "mentor_retention": {**_mentor_retention(p, where, as_of), "definition": MENTOR_RETENTION.key},
        "active_mentors": {"count": _active_mentors(p, where, as_of), "definition": ACTIVE_MENTORS.key},
        "meetings": {
            "total": len(meetings),
            "per_duo": round(len(meetings) / len(duos), 2) if duos else None,
            "hours_per_duo": round(sum(int(m.get("duration_minutes", 0)) for m in meetings) / 60 / len(duos), 2)
            if duos
            else None,
        },
        "topics": dict(Counter(t for m in meetings for t in m.get("topics", ()))),
        "surveys": _surveys(ended),
        "time_to_match": {
            "median_days": statistics.median(days_to_match) if days_to_match else None,
            "distribution": _buckets(days_to_match),
            "definition": TIME_TO_MATCH.key,
        },
        "early_endings_by_reason": dict(
            Counter(d.end_reason for d in ended if d.end_reason not in (None, "completed"))
        ),
        "inactive_duos": {"count": len(_inactive(duos, as_of)), "definition": INACTIVE_DUO.key},
        "follow_ups": {**_follow_ups(ended, as_of), "definition": FOLLOW_UP_DUE.key},
    }


def _mentor_retention(p: Programme, where: Slice, as_of: date) -> dict:
    by_mentor: dict = {}
    for duo in sorted(p.duos.values(), key=lambda d: (d.formed_on, str(d.duo_id))):
        by_mentor.setdefault(duo.mentor_id, []).append(duo)
    first_ended = retained = 0
    for duos in by_mentor.values():
        first = duos[0]
        if not where.holds(first.place, first.formed_on) or first.ended_on is None or first.ended_on > as_of:
            continue
        first_ended += 1
        retained += any(d.formed_on >= first.formed_on and d is not first for d in duos)
    return _rate(retained, first_ended)


def _active_mentors(p: Programme, where: Slice, as_of: date) -> int:
    return sum(
        1
        for mentor, (place, trained_on) in p.mentors_trained.items()
        if where.holds(place, trained_on if where.year else trained_on)
        and trained_on <= as_of
        and (mentor not in p.mentors_left or p.mentors_left[mentor] > as_of)
    )


def _surveys(ended: list[Duo]) -> dict:
    questions: dict[str, list[bool]] = {}
    for duo in ended:
        for side, answers in (("mentee", duo.mentee_survey), ("mentor", duo.mentor_survey)):
            for question, value in (answers or {}).items():
                if isinstance(value, bool):
                    questions.setdefault(f"{side}.{question}", []).append(value)
    return {
        q: {"yes": sum(v), "answered": len(v), "rate": round(sum(v) / len(v), 4)} for q, v in sorted(questions.items())
    }


def _buckets(days: list[int]) -> dict[str, int]:
    return {
        (f"{low}-{high}" if high is not None else f"{low}+"): sum(
            1 for d in days if d >= low and (high is None or d <= high)
        )
        for low, high in TIME_TO_MATCH_BUCKETS
    }


def _inactive(duos: list[Duo], as_of: date) -> list[Duo]:
    since = as_of - timedelta(days=INACTIVE_AFTER_DAYS)
    inactive = []
    for duo in duos:
        if duo.ended_on is not None and duo.ended_on <= as_of or duo.formed_on > since:
            continue
        met = [date.fromisoformat(m["met_on"]) for m in duo.meetings if m.get("met_on")]
        if not any(since < day <= as_of for day in met):
            inactive.append(duo)
    return inactive


def _follow_ups(ended: list[Duo], as_of: date) -> dict:
    done = due = 0
    for duo in ended:
        assert duo.ended_on is not None
        for months in FOLLOW_UP_MONTHS:
            if months in duo.follow_ups:
                done += 1
            elif add_months(duo.ended_on, months) <= as_of:
                due += 1
    return {"done": done, "due": due}


TRAILS = ("applications", "duos_formed", "positive_exit", "sustainable_work")


def trail(p: Programme, where: Slice, as_of: date, figure: str, sustainable: str = DEFAULT_SUSTAINABLE_WORK) -> dict:
    """The audit trail of a figure: the events it counts (their ids), and the definition it was computed under."""
    work = SUSTAINABLE_WORK[sustainable]
    duos = [d for d in p.duos.values() if where.holds(d.place, d.formed_on)]
    ended = [d for d in duos if d.ended_on is not None and d.ended_on <= as_of]
    if figure == "applications":
        ids = [e for e, (place, day) in p.application_events.items() if where.holds(place, day)]
        return {"figure": figure, "definition": "registrations and refused applications", "event_ids": sorted(ids)}
    if figure == "duos_formed":
        return {"figure": figure, "definition": "DuoFormed events", "event_ids": sorted(d.event_ids[0] for d in duos)}
    if figure == "positive_exit":
        counted = [
            d
            for d in ended
            if any(_within_window(d, o.get("started_on")) for o in (*d.jobs, *d.trainings, *d.internships))
        ]
        return {
            "figure": figure,
            "definition": POSITIVE_EXIT.key,
            "denominator_duos": len(ended),
            "event_ids": sorted(e for d in counted for e in d.event_ids),
        }
    if figure == "sustainable_work":
        counted = [
            d
            for d in ended
            if any(
                _within_window(d, j.get("started_on"))
                and work.counts(j.get("contract_type", ""), j.get("contract_months"))
                for j in d.jobs
            )
        ]
        return {
            "figure": figure,
            "definition": work.key,
            "denominator_duos": len(ended),
            "event_ids": sorted(e for d in counted for e in d.event_ids),
        }
    raise KeyError(figure)
