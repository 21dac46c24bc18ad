"""What each entity of the programme adds to every figure, as steps over the day asked for. Pure.

A figure "as of D" counts, for each duo, mentor, mentee and refused application, a value that depends on D only by
comparing D with dates the entity's facts carry: the day each fact was recorded (in the branch's zone), and days
of their own (a duo's end, a follow-up's due day, the 21st day after a meeting). Between two such dates the value
cannot change. So an entity's part of every figure is a step function of D, stated here as its steps: (cell,
figure, key, day, +n or -n), a cell being (branch, office, year) of the slice the figure is cut by. A figure as of D
is the sum of every step of every entity up to D: the counters (adapters/counters.py) keep those sums by day.

The value at each date is computed here with the fold's own rules (report.counts over programme.programme_of, the
oracle these are tested against), for one entity from all its facts: facts that arrive in any order, late or twice,
give the same steps, and a late fact's effect is the difference between the entity's steps before and after it.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.reporting.domain.definitions import (
    FOLLOW_UP_MONTHS,
    INACTIVE_AFTER_DAYS,
    MENTOR_RETENTIONS,
    POSITIVE_EXITS,
    SUSTAINABLE_WORK,
    add_months,
)
from services.reporting.domain.membership import ERASED, REJOINED, WITHDRAWN, absences, in_programme
from services.reporting.domain.report import (
    STILL_WORKING_SIDE,
    first_duo_key,
    referral_outcome_key,
    target_group_keys,
)
from shared.events.catalog import (
    STILL_WORKING,
    ContractExtended,
    DuoEnded,
    FollowUpRecorded,
    InternshipStarted,
    JobFound,
    MeetingLogged,
    MenteeReferred,
    MenteeSurveyRecorded,
    MentorSurveyRecorded,
    ReferralOutcomeRecorded,
    TrainingStarted,
)

Series = tuple[str, str, int, str, str]  # (branch, office, year, figure, key)
Step = tuple[str, str, int, str, str, date, int]  # a series, the day it changes, by how much
LedgerOrder = tuple[Any, ...]  # (recorded_at, stream_id, stream_version, event_id): the order a fold applies facts in

# What a mentor's figures are counted over: the facts of their branch (a branch's figures), or of every branch
# (the federation's roll-up). Both are kept; a read picks one.
OF_BRANCH, OF_ALL = "@branch", "@all"
_OUTCOMES = (JobFound.event_type, TrainingStarted.event_type, InternshipStarted.event_type)
# The counters of how many facts each figure's audit trail lists (GET /figures/{figure}/events answers its total
# from them): the trail of duos formed lists one fact per duo, so it is the duos_formed counter itself.
TRAIL_FACTS = {
    "applications": "application_facts",
    "duos_formed": "duos_formed",
    "positive_exit": "positive_exit_facts",
    "sustainable_work": "sustainable_work_facts",
}
_SURVEYS = ((MenteeSurveyRecorded.event_type, "mentee"), (MentorSurveyRecorded.event_type, "mentor"))
_INACTIVE_AFTER = timedelta(days=INACTIVE_AFTER_DAYS)


@dataclass(frozen=True)
class DuoRow:
    """A duo as formed (rm_duos), with the day its formation was recorded."""

    duo_id: uuid.UUID
    tenant: str
    office: str
    mentor_id: uuid.UUID
    formed_on: date
    days_to_match: int
    recorded: date


@dataclass(frozen=True)
class DuoFact:
    """Any other fact about a duo (rm_duo_facts), with the day it was recorded (the duo's branch's)."""

    event_id: uuid.UUID
    event_type: str
    recorded: date
    order: LedgerOrder
    occurred_at: datetime
    on_day: date | None = None
    minutes: int | None = None
    topics: tuple[str, ...] = ()
    job_id: uuid.UUID | None = None
    contract_type: str | None = None
    contract_months: int | None = None
    reason: str | None = None
    months: int | None = None
    answers: dict[str, Any] | None = None
    qualifying: bool | None = None  # a training's
    partner_kind: str | None = None
    accompanied: bool | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class MentorFact:
    """A mentor trained, withdrawn, back (rejoined), erased or employed (rm_mentors)."""

    kind: str
    tenant: str
    office: str
    day: date
    recorded: date
    order: LedgerOrder
    employment_status: str | None = None  # an employment fact's
    employer_released: bool | None = None


@dataclass(frozen=True)
class Registration:
    """A mentee's registration (rm_applications)."""

    tenant: str
    office: str
    day: date
    recorded: date
    order: LedgerOrder


def steps_of(value_at: Callable[[date], dict[Series, int]], dates: Iterable[date]) -> list[Step]:
    """The steps of a value that can change only at `dates` (and is nothing before the first of them)."""
    steps: list[Step] = []
    before: dict[Series, int] = {}
    for day in sorted(set(dates)):
        now = value_at(day)
        # A plain dict's comparison (C), not Counter's (Python, element by element): most of a duo's days change
        # one or two of its thirty-odd series, some none (issue 24: the sweep is most of reporting's Python).
        if dict.__eq__(now, before):
            continue
        was = before.get
        for series, n in now.items():
            if change := n - was(series, 0):
                steps.append((*series, day, change))
        for series, n in before.items():
            if n and series not in now:
                steps.append((*series, day, -n))
        before = now
    return steps


def _last(facts: Iterable[Any]) -> Any:
    return max(facts, key=lambda f: f.order, default=None)


def duo_steps(duo: DuoRow, facts: Sequence[DuoFact]) -> list[Step]:
    """A duo's part of every figure of its cell (report.counts), day by day.

    One sweep over the days: each fact is learnt once, on the first day it is known (steps_of asks the days in
    order), instead of every day's value scanning all the duo's facts again: a duo that met weekly for a year
    has about 150 such days and 50 facts, and is recounted whenever a fact about it arrives."""
    known_by = known_of_duo_by_day(duo, facts)
    return steps_of(lambda day: known_by(day).value(day), duo_dates(duo, facts))


def known_of_duo_by_day(duo: DuoRow, facts: Sequence[DuoFact]) -> Callable[[date], KnownOfDuo]:
    """What is known of the duo by the end of a day, for days asked in order (a later day learns only the facts
    recorded since the day asked before it; the answer is the same object, grown)."""
    known = KnownOfDuo(duo)
    pending = sorted(facts, key=lambda f: f.recorded)
    learnt = 0

    def by(day: date) -> KnownOfDuo:
        nonlocal learnt
        while learnt < len(pending) and pending[learnt].recorded <= day:
            known.learn(pending[learnt])
            learnt += 1
        return known

    return by


def duo_dates(duo: DuoRow, facts: Sequence[DuoFact]) -> list[date]:
    """The days on which what a duo counts for (and where it is listed) can change: the days its facts were
    recorded, its ends and their follow-ups' due days, its meetings and the day each stops keeping it active."""
    meetings = [f for f in facts if f.event_type == MeetingLogged.event_type and f.on_day is not None]
    ends = [f.on_day for f in facts if f.event_type == DuoEnded.event_type and f.on_day is not None]
    inactive_after = timedelta(days=INACTIVE_AFTER_DAYS)
    dates = [duo.recorded, duo.formed_on + inactive_after, *(f.recorded for f in facts), *ends]
    dates += [add_months(end, months) for end in ends for months in FOLLOW_UP_MONTHS]
    dates += [day for m in meetings if m.on_day for day in (m.on_day, m.on_day + inactive_after)]
    return [d for d in dates if d >= duo.recorded]


def duo_value(duo: DuoRow, facts: Sequence[DuoFact], as_of: date) -> dict[Series, int]:
    """What the duo counts for as of the end of `as_of` (nothing before its formation was recorded)."""
    known = KnownOfDuo(duo)
    for fact in facts:
        if fact.recorded <= as_of:
            known.learn(fact)
    return known.value(as_of)


class KnownOfDuo:
    """A duo's facts known by some day, kept as the questions of `value` need them: what each meeting or referral
    adds to a figure on its own is summed as it is learnt, meetings' days are kept sorted, every other fact listed."""

    def __init__(self, duo: DuoRow) -> None:
        self.duo = duo
        self.cell = (duo.tenant, duo.office, duo.formed_on.year)
        self.added: Counter[Series] = Counter()  # meetings, minutes, topics, referrals and their outcomes
        self.met: list[date] = []  # the days of the meetings that have one, in order
        self.others: list[DuoFact] = []
        self.end: DuoFact | None = None  # the last of its ends learnt (in the ledger's order)
        self.learnt = 0
        # Its series that count it on every day from its formation's (the same tuples each day: built once).
        self.formed = {(*self.cell, "duos_formed", ""): 1, (*self.cell, "days_to_match", str(duo.days_to_match)): 1}
        self.inactive = (*self.cell, "inactive_duos", "")

    def learn(self, fact: DuoFact) -> None:
        self.learnt += 1
        kind = fact.event_type
        if kind == MeetingLogged.event_type:
            self._add("meetings")
            self._add("meeting_minutes", n=fact.minutes or 0)
            for topic in fact.topics:
                self._add("topics", topic)
            if fact.on_day is not None:
                insort(self.met, fact.on_day)
        elif kind == MenteeReferred.event_type:
            self._add("referrals", fact.partner_kind or "")
            if fact.accompanied is True:
                self._add("referrals_accompanied", fact.partner_kind or "")
        elif kind == ReferralOutcomeRecorded.event_type:
            self._add("referral_outcomes", referral_outcome_key(fact.partner_kind, fact.outcome))
        else:
            self.others.append(fact)
            if kind == DuoEnded.event_type and (self.end is None or fact.order > self.end.order):
                self.end = fact

    def _add(self, figure: str, key: str = "", n: int = 1) -> None:
        self.added[(*self.cell, figure, key)] += n

    def value(self, as_of: date) -> dict[Series, int]:
        """What the duo counts for as of the end of `as_of`, from the facts learnt (those recorded by then)."""
        duo = self.duo
        if duo.recorded > as_of:
            return {}
        # What its meetings and referrals added and the duo's own series: none in common, so merged as dicts. A plain
        # dict, not a Counter: built on each of the duo's days, and Counter's constructor and update cost more.
        counted = {**self.added, **self.formed}
        end = self.end
        ended_on = end.on_day if end is not None else None
        if end is None or ended_on is None or ended_on > as_of:
            since = as_of - _INACTIVE_AFTER
            first_after = bisect_right(self.met, since)  # the first meeting after `since`: on or before as_of?
            if duo.formed_on <= since and not (first_after < len(self.met) and self.met[first_after] <= as_of):
                counted[self.inactive] = 1
            return counted
        return self._ended(counted, end, ended_on, as_of)

    def _ended(self, counted: dict[Series, int], end: DuoFact, ended_on: date, as_of: date) -> dict[Series, int]:
        """`counted` with what the duo counts for once ended (on `ended_on`, by `end`), as of the end of `as_of`."""
        duo, known = self.duo, self.others

        def add(figure: str, key: str = "", n: int = 1) -> None:
            series = (*self.cell, figure, key)
            counted[series] = counted.get(series, 0) + n

        add("ended")
        if end.reason not in (None, "completed"):
            add("early_endings", end.reason)
        trail = 1 + self.learnt  # what its audit trail lists when it counts: its formation and every fact learnt
        outcomes = [f for f in known if f.event_type in _OUTCOMES and f.on_day is not None]
        for key, positive in POSITIVE_EXITS.items():
            training = TrainingStarted.event_type
            if any(
                positive.counts(duo.formed_on, ended_on, o.on_day, o.event_type == training, bool(o.qualifying))
                for o in outcomes
                if o.on_day is not None
            ):
                add("positive", key)
                add(TRAIL_FACTS["positive_exit"], key, trail)
        jobs = [f for f in outcomes if f.event_type == JobFound.event_type and f.on_day is not None]
        for key, work in SUSTAINABLE_WORK.items():
            if any(
                work.counts_job(duo.formed_on, ended_on, job.on_day, job.contract_type or "", _months(job, known))
                for job in jobs
                if job.on_day is not None
            ):
                add("sustainable", key)
                add(TRAIL_FACTS["sustainable_work"], key, trail)
        for kind, side in _SURVEYS:
            survey = _last(f for f in known if f.event_type == kind)
            for question, answer in ((survey.answers or {}) if survey else {}).items():
                if isinstance(answer, bool):
                    add("survey_answered", f"{side}.{question}")
                    add("survey_yes", f"{side}.{question}", int(answer))
        done = {f.months for f in known if f.event_type == FollowUpRecorded.event_type}
        for months in FOLLOW_UP_MONTHS:
            if months in done:
                add("follow_ups_done")
            elif add_months(ended_on, months) <= as_of:
                add("follow_ups_due")
        return counted


def _months(job: DuoFact, known: Sequence[DuoFact]) -> int | None:
    """A job's contract months as its extensions left them, applied in the order they happened (as the fold)."""
    extensions = [f for f in known if f.event_type == ContractExtended.event_type and f.job_id == job.job_id]
    if not extensions:
        return job.contract_months
    return max(extensions, key=lambda f: (f.occurred_at, str(f.event_id))).contract_months


@dataclass(frozen=True)
class MentorsDuo:
    """One of a mentor's duos, its ends (for retention) and its mentor surveys (for the still-working mentors'
    answers)."""

    duo: DuoRow
    ends: tuple[DuoFact, ...]
    surveys: tuple[DuoFact, ...] = ()


def mentor_steps(facts: Sequence[MentorFact], duos: Sequence[MentorsDuo], scope: str) -> list[Step]:
    """A mentor's part of mentor retention and active mentors, over the facts of one scope (OF_BRANCH: those of one
    branch, OF_ALL: of every branch), day by day."""
    dates = [f.recorded for f in facts] + [f.day for f in facts]
    dates += [d.duo.recorded for d in duos] + [e.recorded for d in duos for e in (*d.ends, *d.surveys)]
    ended = [e.on_day for d in duos for e in d.ends if e.on_day is not None]
    dates += ended
    windows = {r.window_months for r in MENTOR_RETENTIONS.values() if r.window_months is not None}
    dates += [add_months(day, months) for day in ended for months in windows]  # when a censored mentor counts
    return steps_of(lambda day: mentor_value(facts, duos, scope, day), dates)


def mentor_value(facts: Sequence[MentorFact], duos: Sequence[MentorsDuo], scope: str, as_of: date) -> Counter[Series]:
    """What a mentor counts for as of the end of `as_of` (report._active_mentors, report._mentor_retention)."""
    counted: Counter[Series] = Counter()
    known = [f for f in facts if f.recorded <= as_of]
    trained = _last(f for f in known if f.kind == "trained")
    out = absences((f.order, f.kind, f.day) for f in known if f.kind in (WITHDRAWN, REJOINED, ERASED))
    if trained is not None and trained.day <= as_of and in_programme(out, as_of):
        cell = (trained.tenant, trained.office, trained.day.year)
        counted[(*cell, "active_mentors" + scope, "")] += 1
        employment = _last(f for f in known if f.kind == "employment")
        counted[(*cell, "mentor_employment" + scope, _status_of(employment))] += 1
        if employment is not None and employment.employer_released is True:
            counted[(*cell, "employer_released" + scope, "")] += 1
    formed = [d for d in duos if d.duo.recorded <= as_of]
    if not formed:
        return counted
    if _status_of(_last(f for f in known if f.kind == "employment")) in STILL_WORKING:
        for d in formed:
            _count_still_working_answers(counted, d, as_of, scope)
    ends = {d.duo.duo_id: _last(e for e in d.ends if e.recorded <= as_of) for d in formed}
    first = min(
        formed,
        key=lambda d: first_duo_key(
            d.duo.formed_on, None if ends[d.duo.duo_id] is None else ends[d.duo.duo_id].on_day, d.duo.duo_id, as_of
        ),
    )
    end = ends[first.duo.duo_id]
    if end is not None and end.on_day is not None and end.on_day <= as_of:
        cell = (first.duo.tenant, first.duo.office, first.duo.formed_on.year)
        others = [d.duo.formed_on for d in formed if d is not first]
        for key, retention in MENTOR_RETENTIONS.items():
            in_base, stayed = retention.counted(end.on_day, others, out, as_of)
            counted[(*cell, "first_duos_ended" + scope, key)] += in_base
            counted[(*cell, "mentors_retained" + scope, key)] += stayed
    return counted


def _count_still_working_answers(counted: Counter[Series], d: MentorsDuo, as_of: date, scope: str) -> None:
    """A still-working mentor's answers to their ended duo's survey, in the duo's cell (report._surveys: the
    memorandum's "nog werkende mentoren" base)."""
    end = _last(e for e in d.ends if e.recorded <= as_of)
    survey = _last(s for s in d.surveys if s.recorded <= as_of)
    if end is None or end.on_day is None or end.on_day > as_of or survey is None:
        return
    cell = (d.duo.tenant, d.duo.office, d.duo.formed_on.year)
    for question, answer in (survey.answers or {}).items():
        if isinstance(answer, bool):
            counted[(*cell, "survey_answered_still_working" + scope, f"{STILL_WORKING_SIDE}.{question}")] += 1
            counted[(*cell, "survey_yes_still_working" + scope, f"{STILL_WORKING_SIDE}.{question}")] += int(answer)


def _status_of(employment: MentorFact | None) -> str:
    """A mentor's employment status as the fold states it (report._employment): "unknown" when none is recorded."""
    return "unknown" if employment is None else str(employment.employment_status)


@dataclass(frozen=True)
class TargetGroupFact:
    """A mentee's target-group facts recorded (rm_target_groups), or (facts None) the consent withdrawn."""

    recorded: date
    order: LedgerOrder
    facts: tuple[bool, bool, str] | None


def registration_steps(
    registrations: Sequence[Registration], target_groups: Sequence[TargetGroupFact] = ()
) -> list[Step]:
    """A mentee counted once as registered, in the place and year of their last registration recorded by then, with
    their last target-group facts recorded by then (report.target_group_keys: "unknown" without them)."""

    def value(as_of: date) -> Counter[Series]:
        last = _last(r for r in registrations if r.recorded <= as_of)
        if last is None:
            return Counter()
        cell = (last.tenant, last.office, last.day.year)
        group = _last(f for f in target_groups if f.recorded <= as_of)
        keys = target_group_keys(None if group is None else group.facts)
        return Counter([(*cell, "registered", ""), *((*cell, "target_groups", key) for key in keys)])

    # Every registration is one fact of the applications' audit trail, in its own place and year (a mentee
    # registered twice is two facts there, one mentee among the registered).
    listed = [(r.tenant, r.office, r.day.year, TRAIL_FACTS["applications"], "", r.recorded, 1) for r in registrations]
    return steps_of(value, [*(r.recorded for r in registrations), *(f.recorded for f in target_groups)]) + listed


def refusal_steps(tenant: str, office: str, day: date, recorded: date, rules: Sequence[str]) -> list[Step]:
    """A refused application: one refusal, and one for each rule it failed, from the day it was recorded."""
    cell = (tenant, office, day.year)
    counted = Counter(
        [(*cell, "refused", ""), (*cell, TRAIL_FACTS["applications"], "")]
        + [(*cell, "refused_by_rule", rule) for rule in rules]
    )
    return [(*series, recorded, n) for series, n in counted.items()]
