"""The programme's figures for a slice, as of a date, each under its stated definition. Pure."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, get_args

from services.reporting.domain.definitions import (
    ACTIVE_MENTORS,
    FOLLOW_UP_DUE,
    FOLLOW_UP_MONTHS,
    INACTIVE_AFTER_DAYS,
    INACTIVE_DUO,
    TIME_TO_MATCH,
    Chosen,
    chosen,
)
from services.reporting.domain.definitions import add_months as add_months  # where the lists and tests find it
from services.reporting.domain.figures import Figures
from services.reporting.domain.membership import absences, in_programme
from services.reporting.domain.programme import Duo, Place, Programme
from shared.events.catalog import STILL_WORKING, TimeSinceLastJob
from shared.tenancy import Tenant

TIMES_SINCE_LAST_JOB: tuple[TimeSinceLastJob, ...] = get_args(TimeSinceLastJob)
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


def _rate(numerator: int, denominator: int) -> dict[str, Any]:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(numerator / denominator, 4) if denominator else None,
    }


def positive_exit(duo: Duo, definitions: Chosen) -> bool:
    """Whether the ended duo's mentee counts as a positive exit under the definition chosen."""
    assert duo.ended_on is not None
    outcomes = [(o, False) for o in (*duo.jobs, *duo.internships)] + [(t, True) for t in duo.trainings]
    return any(
        definitions.positive.counts(
            duo.formed_on, duo.ended_on, date.fromisoformat(o["started_on"]), training, bool(o.get("qualifying"))
        )
        for o, training in outcomes
        if o.get("started_on")
    )


def sustainable_work(duo: Duo, definitions: Chosen) -> bool:
    """Whether the ended duo's mentee found sustainable work under the definition chosen."""
    assert duo.ended_on is not None
    return any(
        definitions.work.counts_job(
            duo.formed_on,
            duo.ended_on,
            date.fromisoformat(j["started_on"]),
            j.get("contract_type", ""),
            j.get("contract_months"),
        )
        for j in duo.jobs
        if j.get("started_on")
    )


@dataclass(frozen=True)
class FigureCounts:
    """The counts every figure of a slice is made from, as of a date: what the fold of the ledger (`counts`) and
    the read models' SQL (adapters/read_figures.py) both produce, so that `figures_from` states them alike."""

    registered: int
    refused: int
    refused_by_rule: dict[str, int]
    duos_formed: int
    ended: int
    positive: int
    sustainable: int
    first_duos_ended: int
    mentors_retained: int
    active_mentors: int
    meetings: int
    meeting_minutes: int
    topics: dict[str, int]
    surveys: dict[str, tuple[int, int]]  # question -> (yes, answered)
    days_to_match: dict[int, int]  # days -> duos
    early_endings: dict[str, int]
    inactive_duos: int
    follow_ups_done: int
    follow_ups_due: int
    referrals: dict[str, int]  # partner kind -> referrals
    referrals_accompanied: dict[str, int]  # partner kind -> referrals the mentor went along to
    referral_outcomes: dict[str, int]  # "<partner kind>.<outcome>" -> outcomes recorded
    mentor_employment: dict[str, int]  # active mentors by their last employment status recorded ("unknown": none)
    employer_released: int  # active mentors whose employer releases them for the mentoring
    target_groups: dict[str, int]  # registered mentees by "<fact>.<value>" (target_group_keys); "unknown": no consent


def figures(p: Programme, where: Slice, as_of: date, definitions: Chosen | str | None = None) -> Figures:
    """Every figure of the slice as of `as_of` (the programme holds only the events recorded by then), under the
    definitions asked for (a sustainable-work key alone: that one; None: the versions used before branches chose)."""
    return figures_from(counts(p, where, as_of, definitions), definitions)


def counts(p: Programme, where: Slice, as_of: date, definitions: Chosen | str | None = None) -> FigureCounts:
    """The counts behind the figures, folded from the programme: the oracle of the read models."""
    asked = chosen(definitions)
    registrations = [pid for pid, (place, day) in p.registrations.items() if where.holds(place, day)]
    refusals = [rules for place, day, rules in p.refusals if where.holds(place, day)]
    duos = [d for d in p.duos.values() if where.holds(d.place, d.formed_on)]
    ended = [d for d in duos if d.ended_on is not None and d.ended_on <= as_of]
    positive = [d for d in ended if positive_exit(d, asked)]
    sustainable_jobs = [d for d in ended if sustainable_work(d, asked)]
    meetings = [m for d in duos for m in d.meetings]
    first_ended, retained = _mentor_retention(p, where, as_of, asked)
    employment = [_employment(p, mentor) for mentor in _active_mentors(p, where, as_of)]
    done, due = _follow_ups(ended, as_of)
    return FigureCounts(
        registered=len(registrations),
        refused=len(refusals),
        refused_by_rule=dict(Counter(r for rules in refusals for r in rules)),
        duos_formed=len(duos),
        ended=len(ended),
        positive=len(positive),
        sustainable=len(sustainable_jobs),
        first_duos_ended=first_ended,
        mentors_retained=retained,
        active_mentors=len(_active_mentors(p, where, as_of)),
        meetings=len(meetings),
        meeting_minutes=sum(int(m.get("duration_minutes", 0)) for m in meetings),
        topics=dict(Counter(t for m in meetings for t in m.get("topics", ()))),
        surveys=_surveys(p, ended),
        days_to_match=dict(Counter(d.days_to_match for d in duos)),
        early_endings=dict(Counter(d.end_reason for d in ended if d.end_reason not in (None, "completed"))),
        inactive_duos=len(_inactive(duos, as_of)),
        follow_ups_done=done,
        follow_ups_due=due,
        referrals=dict(Counter(r.get("partner_kind", "") for d in duos for r in d.referrals)),
        referrals_accompanied=dict(
            Counter(r.get("partner_kind", "") for d in duos for r in d.referrals if r.get("accompanied") is True)
        ),
        target_groups=dict(
            Counter(key for mentee in registrations for key in target_group_keys(_last_target_group(p, mentee)))
        ),
        mentor_employment=dict(Counter(status for status, _ in employment)),
        employer_released=sum(released for _, released in employment),
        referral_outcomes=dict(
            Counter(
                referral_outcome_key(o.get("partner_kind"), o.get("outcome")) for d in duos for o in d.referral_outcomes
            )
        ),
    )


def referral_outcome_key(partner_kind: object, outcome: object) -> str:
    """The key an outcome is counted under: its partner's kind and the outcome."""
    return f"{partner_kind}.{outcome}"


def _referrals_by_kind(c: FigureCounts) -> dict[str, dict[str, Any]]:
    """Per partner kind: the referrals, those the mentor went along to, and their recorded outcomes."""
    kinds = sorted({*c.referrals, *(key.split(".", 1)[0] for key in c.referral_outcomes)})
    return {
        kind: {
            "referred": c.referrals.get(kind, 0),
            "accompanied": c.referrals_accompanied.get(kind, 0),
            "outcomes": {
                key.split(".", 1)[1]: n
                for key, n in sorted(c.referral_outcomes.items())
                if key.split(".", 1)[0] == kind
            },
        }
        for kind in kinds
    }


def figures_from(c: FigureCounts, definitions: Chosen | str | None = None) -> Figures:
    """The figures as stated, each under its definition, from their counts."""
    asked = chosen(definitions)
    return Figures.model_validate(
        {
            "applications": {
                "total": c.registered + c.refused,
                "registered": c.registered,
                "refused": c.refused,
                "refused_by_rule": dict(sorted(c.refused_by_rule.items())),
            },
            "duos_formed": c.duos_formed,
            "positive_exit": {**_rate(c.positive, c.ended), "definition": asked.positive_exit},
            "sustainable_work": {**_rate(c.sustainable, c.ended), "definition": asked.sustainable_work},
            "mentor_retention": {
                **_rate(c.mentors_retained, c.first_duos_ended),
                "definition": asked.mentor_retention,
                "observation_window_months": asked.retention.window_months,
            },
            "active_mentors": {"count": c.active_mentors, "definition": ACTIVE_MENTORS.key},
            "meetings": {
                "total": c.meetings,
                "per_duo": round(c.meetings / c.duos_formed, 2) if c.duos_formed else None,
                "hours_per_duo": round(c.meeting_minutes / 60 / c.duos_formed, 2) if c.duos_formed else None,
            },
            "topics": dict(sorted(c.topics.items())),
            "surveys": {
                q: {"yes": yes, "answered": answered, "rate": round(yes / answered, 4)}
                for q, (yes, answered) in sorted(c.surveys.items())
            },
            "time_to_match": {
                "median_days": _median(c.days_to_match),
                "distribution": _buckets(c.days_to_match),
                "definition": TIME_TO_MATCH.key,
            },
            "early_endings_by_reason": dict(sorted(c.early_endings.items())),
            "inactive_duos": {"count": c.inactive_duos, "definition": INACTIVE_DUO.key},
            "follow_ups": {"done": c.follow_ups_done, "due": c.follow_ups_due, "definition": FOLLOW_UP_DUE.key},
            "referrals_by_partner_kind": _referrals_by_kind(c),
            "target_groups": target_groups_of(c.registered, c.target_groups),
            "mentor_employment": {
                "by_status": {k: n for k, n in sorted(c.mentor_employment.items()) if k != "unknown"},
                "unknown": c.mentor_employment.get("unknown", 0),
                "still_working": sum(c.mentor_employment.get(k, 0) for k in STILL_WORKING),
                "employer_released": c.employer_released,
                "active_mentors": c.active_mentors,
            },
        }
    )


def target_groups_of(registered: int, counts: dict[str, int]) -> dict[str, Any]:
    """The registered mentees by each target-group fact, every value listed (0 when none), "unknown" included."""
    values = {
        "neet": ("yes", "no", "unknown"),
        "long_term_unemployed": ("yes", "no", "unknown"),
        "time_since_last_job": (*TIMES_SINCE_LAST_JOB, "unknown"),
    }
    return {
        "registered": registered,
        **{fact: {v: counts.get(f"{fact}.{v}", 0) for v in shown} for fact, shown in values.items()},
    }


def _median(histogram: dict[int, int]) -> float | int | None:
    """statistics.median of the values a histogram counts, without expanding it."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted = (n - 1) // 2, n // 2  # the middle value's index, or the two middle ones'
    found: list[int] = []
    seen = 0
    for value, times in sorted(histogram.items()):
        found += [value for index in wanted if seen <= index < seen + times]
        seen += times
    return found[0] if n % 2 else (found[0] + found[1]) / 2


def first_duo_key(formed_on: date, ended_on: date | None, duo_id: uuid.UUID, as_of: date) -> tuple[date, date, str]:
    """How a mentor's first duo is found (mentor retention): the earliest formed; of two formed the same day, the one
    that ended first as of `as_of` (the mentor's first mentorship to end), then the duo's id. The id alone broke that
    tie before, and ids are new in every run: a mentor with two duos formed on one day and ending apart was in or out
    of the base by chance (the demo's full plan: 975 or 976 of 1,084 mentors retained, one seed)."""
    ended = ended_on if ended_on is not None and ended_on <= as_of else date.max
    return (formed_on, ended, str(duo_id))


def _mentor_retention(p: Programme, where: Slice, as_of: date, definitions: Chosen) -> tuple[int, int]:
    """(mentors in the base, mentors retained): each mentor counted in the cell of their first duo."""
    by_mentor: dict[uuid.UUID, list[Duo]] = {}
    for duo in sorted(p.duos.values(), key=lambda d: first_duo_key(d.formed_on, d.ended_on, d.duo_id, as_of)):
        by_mentor.setdefault(duo.mentor_id, []).append(duo)
    first_ended = retained = 0
    for mentor, duos in by_mentor.items():
        first = duos[0]
        if not where.holds(first.place, first.formed_on) or first.ended_on is None or first.ended_on > as_of:
            continue
        others = [d.formed_on for d in duos[1:]]
        out = absences(p.mentor_membership.get(mentor, ()))
        in_base, stayed = definitions.retention.counted(first.ended_on, others, out, as_of)
        first_ended += in_base
        retained += stayed
    return first_ended, retained


def target_group_keys(facts: tuple[bool, bool, str] | None) -> tuple[str, str, str]:
    """The keys a registered mentee is counted under: NEET, long-term unemployed (yes, no), the time since the last
    job (its band); each "unknown" when no facts are recorded (no consent, or it was withdrawn)."""
    if facts is None:
        return ("neet.unknown", "long_term_unemployed.unknown", "time_since_last_job.unknown")
    neet, long_term, since = facts
    yes_no = {True: "yes", False: "no"}
    return (f"neet.{yes_no[neet]}", f"long_term_unemployed.{yes_no[long_term]}", f"time_since_last_job.{since}")


def _last_target_group(p: Programme, mentee: uuid.UUID) -> tuple[bool, bool, str] | None:
    facts = p.target_groups.get(mentee)
    return max(facts, key=lambda f: f[0])[1] if facts else None


def _employment(p: Programme, mentor: uuid.UUID) -> tuple[str, bool]:
    """A mentor's last employment status recorded ("unknown" when none) and whether their employer releases them."""
    facts = p.mentor_employment.get(mentor)
    if not facts:
        return "unknown", False
    _, status, released = max(facts, key=lambda f: f[0])
    return status, released


def _active_mentors(p: Programme, where: Slice, as_of: date) -> list[uuid.UUID]:
    return [
        mentor
        for mentor, (place, trained_on) in p.mentors_trained.items()
        if where.holds(place, trained_on if where.year else trained_on)
        and trained_on <= as_of
        and in_programme(absences(p.mentor_membership.get(mentor, ())), as_of)
    ]


# The mentor survey's answers again, of the mentors still working (their last employment status recorded:
# employed or self-employed) only: the base of the memorandum's "meer dan 1 op de 2 van de nog werkende mentoren
# vindt dat de DUO-ervaring waarde toevoegt aan zijn/haar professionele leven".
STILL_WORKING_SIDE = "mentor_still_working"


def _surveys(p: Programme, ended: list[Duo]) -> dict[str, tuple[int, int]]:
    questions: dict[str, list[bool]] = {}
    for duo in ended:
        working = _employment(p, duo.mentor_id)[0] in STILL_WORKING
        sides = (("mentee", duo.mentee_survey), ("mentor", duo.mentor_survey))
        for side, answers in sides + (((STILL_WORKING_SIDE, duo.mentor_survey),) if working else ()):
            for question, value in (answers or {}).items():
                if isinstance(value, bool):
                    questions.setdefault(f"{side}.{question}", []).append(value)
    return {q: (sum(v), len(v)) for q, v in questions.items()}


def _buckets(days: dict[int, int]) -> dict[str, int]:
    return {
        (f"{low}-{high}" if high is not None else f"{low}+"): sum(
            times for d, times in days.items() if d >= low and (high is None or d <= high)
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


def _follow_ups(ended: list[Duo], as_of: date) -> tuple[int, int]:
    done = due = 0
    for duo in ended:
        assert duo.ended_on is not None
        for months in FOLLOW_UP_MONTHS:
            if months in duo.follow_ups:
                done += 1
            elif add_months(duo.ended_on, months) <= as_of:
                due += 1
    return done, due


TRAILS = ("applications", "duos_formed", "positive_exit", "sustainable_work")


def trail(
    p: Programme, where: Slice, as_of: date, figure: str, definitions: Chosen | str | None = None
) -> dict[str, Any]:
    """The audit trail of a figure: the events it counts (their ids), and the definition it was computed under."""
    asked = chosen(definitions)
    duos = [d for d in p.duos.values() if where.holds(d.place, d.formed_on)]
    ended = [d for d in duos if d.ended_on is not None and d.ended_on <= as_of]
    if figure == "applications":
        ids = [e for e, (place, day) in p.application_events.items() if where.holds(place, day)]
        return {"figure": figure, "definition": "registrations and refused applications", "event_ids": sorted(ids)}
    if figure == "duos_formed":
        return {"figure": figure, "definition": "DuoFormed events", "event_ids": sorted(d.event_ids[0] for d in duos)}
    if figure == "positive_exit":
        counted = [d for d in ended if positive_exit(d, asked)]
        return {
            "figure": figure,
            "definition": asked.positive_exit,
            "denominator_duos": len(ended),
            "event_ids": sorted(e for d in counted for e in d.event_ids),
        }
    if figure == "sustainable_work":
        counted = [d for d in ended if sustainable_work(d, asked)]
        return {
            "figure": figure,
            "definition": asked.sustainable_work,
            "denominator_duos": len(ended),
            "event_ids": sorted(e for d in counted for e in d.event_ids),
        }
    raise KeyError(figure)
