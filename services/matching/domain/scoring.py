"""How well one mentee and one mentor fit, and why: hard rules, three soft terms, sentences for the coordinator.

Pure: the caller passes `today` and the declined pairs in. The terms, the rules and the choices behind
them are written down in docs/matching.md; rounds.py scores whole pools with the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.matching.domain.config import MatchingConfig
from shared.nace import NACE_SECTIONS, NaceSection
from shared.tenancy import OFFICES

# (mentee_id, mentor_id) pairs that were declined once and are never proposed again.
Declined = frozenset[tuple[UUID, UUID]]
NO_DECLINED: Declined = frozenset()

# Hard rules, in the order a PairScore lists the ones a pair breaks.
REFUSALS = ("no_common_language", "other_office", "other_province", "declined_before", "no_free_capacity")


@dataclass(frozen=True)
class MenteeCandidate:
    """A registered mentee waiting for a mentor, as matching sees them (no personal data)."""

    mentee_id: UUID
    office: str
    sector: NaceSection  # the job target
    languages: frozenset[str]
    day_parts: frozenset[str]  # such as "tue-evening"; empty means not stated (flexible)
    registered_on: date


@dataclass(frozen=True)
class MentorCandidate:
    """A trained mentor with room for at least one more duo (or none: then every pair is refused)."""

    mentor_id: UUID
    office: str
    experience: tuple[tuple[str, int], ...]  # (NACE section, years)
    languages: frozenset[str]
    day_parts: frozenset[str]
    free_capacity: int


@dataclass(frozen=True)
class PairScore:
    """A pair's score. An infeasible pair has total 0 but keeps its terms, so the coordinator sees both sides."""

    total: float  # 0..1: the sum of the terms when feasible, else 0
    terms: dict[str, float]  # each soft term's weighted contribution: "sector", "availability", "waiting"
    reasons: tuple[str, ...]  # sentences a coordinator reads, the broken rules first
    feasible: bool
    refusals: tuple[str, ...]  # codes of the hard rules broken, in REFUSALS order
    config_version: str  # the MatchingConfig that scored it, recorded with a proposal


@dataclass(frozen=True)
class Suggestion:
    """One feasible counterpart offered to a coordinator, with its score."""

    mentee_id: UUID
    mentor_id: UUID
    score: PairScore


@dataclass(frozen=True)
class SectorFit:
    """The best experience a mentor brings for a job target: its value (0..1) and where it comes from."""

    value: float
    section: str | None  # the experience section that gave the value; None when nothing counts
    years: int
    relatedness: float  # 1 for the target itself, the table's value for a related section


def section_name(code: str) -> str:
    """'Q (Human health and social work activities)': a code readable without a lookup table."""
    title = NACE_SECTIONS.get(code)
    return f"{code} ({title})" if title else code


def years_credit(years: int, config: MatchingConfig) -> float:
    """0 for no experience; from just above min_years_credit for one year up to 1 at years_for_full_credit."""
    if years <= 0:
        return 0.0
    floor = config.min_years_credit
    return floor + (1 - floor) * min(years, config.years_for_full_credit) / config.years_for_full_credit


def sector_fit(target: str, experience: Iterable[tuple[str, int]], config: MatchingConfig) -> SectorFit:
    """The best over the mentor's experience of relatedness(target, section) x years credit.

    Ties go to the section that comes first alphabetically, so the reason given is stable."""
    best = SectorFit(0.0, None, 0, 0.0)
    for section, years in sorted(experience):
        related = config.related(target, section)
        value = related * years_credit(years, config)
        if value > best.value:
            best = SectorFit(value, section, years, related)
    return best


def availability_overlap(mentee_parts: frozenset[str], mentor_parts: frozenset[str], config: MatchingConfig) -> float:
    """|A & B| / min(|A|, |B|): 1 when the smaller list fits inside the larger; flexible when either is empty."""
    if not mentee_parts or not mentor_parts:
        return config.flexible_availability
    return len(mentee_parts & mentor_parts) / min(len(mentee_parts), len(mentor_parts))


def waiting_credit(registered_on: date, today: date, config: MatchingConfig) -> float:
    """min(days since registration, full) / full: grows each day the mentee waits, then stays at 1."""
    days = max((today - registered_on).days, 0)
    return min(days, config.waiting_days_for_full_credit) / config.waiting_days_for_full_credit


def area(office: str, config: MatchingConfig) -> tuple[str, ...]:
    """Where a pair may be formed: the office, or its province when the option is on and it has one.

    Two candidates can be paired only when their areas are equal. Brussels has no province, so it is
    always its own area; an office missing from OFFICES is treated as an area of its own."""
    place = OFFICES.get(office)
    if config.allow_same_province and place is not None and place[2] is not None:
        return ("province", place[0].value, place[2])
    return ("office", office)


def score(
    mentee: MenteeCandidate,
    mentor: MentorCandidate,
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
) -> PairScore:
    """Score one pair: hard rules (feasible, refusals), the three soft terms, and the reasons in words."""
    refusals: list[str] = []
    refused: list[str] = []
    common = mentee.languages & mentor.languages
    if not common:
        refusals.append("no_common_language")
        refused.append(f"no common language (mentee: {_listed(mentee.languages)}; mentor: {_listed(mentor.languages)})")
    if area(mentee.office, config) != area(mentor.office, config):
        refusals.append("other_province" if config.allow_same_province else "other_office")
        where = "another province" if config.allow_same_province else "another office"
        refused.append(f"{where}: the mentee is at {mentee.office}, the mentor at {mentor.office}")
    if (mentee.mentee_id, mentor.mentor_id) in declined:
        refusals.append("declined_before")
        refused.append("this pair was declined before and is never proposed again")
    if mentor.free_capacity <= 0:
        refusals.append("no_free_capacity")
        refused.append("the mentor has no room for another duo")

    fit = sector_fit(mentee.sector, mentor.experience, config)
    overlap = availability_overlap(mentee.day_parts, mentor.day_parts, config)
    waiting = waiting_credit(mentee.registered_on, today, config)
    terms = {
        "sector": config.weight_sector * fit.value,
        "availability": config.weight_availability * overlap,
        "waiting": config.weight_waiting * waiting,
    }
    feasible = not refusals
    total = min(1.0, terms["sector"] + terms["availability"] + terms["waiting"]) if feasible else 0.0

    reasons = [
        *refused,
        _sector_reason(mentee.sector, fit),
        _availability_reason(mentee.day_parts, mentor.day_parts, overlap),
        _waiting_reason(mentee.registered_on, today, config),
    ]
    if common:
        reasons.append(f"common language: {_listed(common)}")
    if feasible and mentee.office != mentor.office:
        reasons.append(f"same province: the mentee is at {mentee.office}, the mentor at {mentor.office}")
    return PairScore(total, terms, tuple(reasons), feasible, tuple(refusals), config.version)


def suggest_mentors(
    mentee: MenteeCandidate,
    mentors: Iterable[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
    limit: int = 10,
) -> list[Suggestion]:
    """The best feasible mentors for one mentee, best first; equal totals in mentor id order.

    The waiting term is the same for every mentor here, so it never changes this ranking."""
    here = area(mentee.office, config)
    suggestions = [
        Suggestion(mentee.mentee_id, mentor.mentor_id, score(mentee, mentor, config, today, declined))
        for mentor in mentors
        if area(mentor.office, config) == here  # any other mentor is refused anyway: skip scoring them
    ]
    return _best(suggestions, limit, lambda s: s.mentor_id)


def suggest_mentees(
    mentor: MentorCandidate,
    mentees: Iterable[MenteeCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
    limit: int = 10,
) -> list[Suggestion]:
    """The best feasible mentees for one mentor, best first; equal totals in mentee id order.

    Here the waiting term counts: of two equally fitting mentees, the one who waited longer comes first."""
    here = area(mentor.office, config)
    suggestions = [
        Suggestion(mentee.mentee_id, mentor.mentor_id, score(mentee, mentor, config, today, declined))
        for mentee in mentees
        if area(mentee.office, config) == here
    ]
    return _best(suggestions, limit, lambda s: s.mentee_id)


def _best(suggestions: list[Suggestion], limit: int, counterpart: Callable[[Suggestion], UUID]) -> list[Suggestion]:
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    feasible = [s for s in suggestions if s.score.feasible]
    feasible.sort(key=lambda s: (-s.score.total, counterpart(s)))
    return feasible[:limit]


def _listed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none given"


def _sector_reason(target: str, fit: SectorFit) -> str:
    if fit.section is None:
        return f"no experience in {section_name(target)}, the mentee's target, nor in a related sector"
    years = f"{fit.years} year{'s' if fit.years != 1 else ''}"
    if fit.section == target:
        return f"{years} in {section_name(target)}, the mentee's target"
    return (
        f"related sector: {years} in {section_name(fit.section)}, which counts {fit.relatedness:g} "
        f"for the mentee's target {section_name(target)}"
    )


def _availability_reason(mentee_parts: frozenset[str], mentor_parts: frozenset[str], overlap: float) -> str:
    if not mentee_parts or not mentor_parts:
        who = "the mentor" if mentee_parts else "the mentee" if mentor_parts else "neither side"
        return f"{who} gave no day parts: counted as flexible ({overlap:g})"
    common = mentee_parts & mentor_parts
    if not common:
        return f"no common day part (mentee: {_listed(mentee_parts)}; mentor: {_listed(mentor_parts)})"
    return f"{len(common)} common day part{'s' if len(common) != 1 else ''}: {_listed(common)} (overlap {overlap:.2f})"


def _waiting_reason(registered_on: date, today: date, config: MatchingConfig) -> str:
    days = max((today - registered_on).days, 0)
    full = config.waiting_days_for_full_credit
    return f"waiting {days} day{'s' if days != 1 else ''} since registration (full credit at {full} days)"
