"""The programme's figures from projected counts, and their types. Pure: the adapters fetch, these add up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


def mentee_figures(registered_by_office: Iterable[tuple[str, str, int]], refused: int) -> dict[str, Any]:
    """Registered mentees in total, by country branch and by office, and applications (registered + refused).

    `registered_by_office` holds (branch, office, count) rows.
    """
    by_office: dict[str, int] = {}
    by_tenant: dict[str, int] = {}
    for tenant, office, count in registered_by_office:
        by_office[office] = by_office.get(office, 0) + count
        by_tenant[tenant] = by_tenant.get(tenant, 0) + count
    total = sum(by_office.values())
    return {
        "total": total,
        "by_tenant": by_tenant,
        "by_office": by_office,
        "applications": total + refused,
        "refused_applications": refused,
    }


class Rate(BaseModel):
    """A share: how many of how many, and the definition it is counted under."""

    numerator: int
    denominator: int
    rate: float | None
    definition: str


class Retention(Rate):
    """Mentor retention: a share, and the observation window after the first duo's end (None: no window) that
    a mentor's first duo must be past to be in the base."""

    observation_window_months: int | None


class Applications(BaseModel):
    total: int
    registered: int
    refused: int
    refused_by_rule: dict[str, int]


class Counted(BaseModel):
    count: int
    definition: str


class Meetings(BaseModel):
    total: int
    per_duo: float | None
    hours_per_duo: float | None


class SurveyQuestion(BaseModel):
    yes: int
    answered: int
    rate: float


class TimeToMatch(BaseModel):
    median_days: int | float | None  # a day count, or halfway between two when the duos are even in number
    distribution: dict[str, int]
    definition: str


class FollowUps(BaseModel):
    done: int
    due: int
    definition: str


class Referrals(BaseModel):
    """A partner kind's referrals: how many, how many the mentor went along to, and the outcomes recorded."""

    referred: int
    accompanied: int
    outcomes: dict[str, int]


class MentorEmployment(BaseModel):
    """The active mentors by their employment status (the last recorded), those with none recorded, the
    still-working ones (employed or self-employed: the base of the memorandum's mentor survey figure), and those
    their employer releases for the mentoring."""

    by_status: dict[str, int]
    unknown: int
    still_working: int
    employer_released: int
    active_mentors: int


class TargetGroups(BaseModel):
    """The registered mentees by each target-group fact (counts only). A value is None where it is hidden from a
    funder (a small cell, or the complement that would give one back: domain/target_groups.py)."""

    registered: int
    neet: dict[str, int | None]
    long_term_unemployed: dict[str, int | None]
    time_since_last_job: dict[str, int | None]


class Figures(BaseModel):
    """Every figure of a slice as of a date (report.figures_from): what the API states, typed."""

    applications: Applications
    duos_formed: int
    positive_exit: Rate
    sustainable_work: Rate
    mentor_retention: Retention
    active_mentors: Counted
    meetings: Meetings
    topics: dict[str, int]
    surveys: dict[str, SurveyQuestion]
    time_to_match: TimeToMatch
    early_endings_by_reason: dict[str, int]
    inactive_duos: Counted
    follow_ups: FollowUps
    referrals_by_partner_kind: dict[str, Referrals]
    mentor_employment: MentorEmployment
    target_groups: TargetGroups
