"""Tracking's rules, as data and small pure checks: the fixed lists, the limits, the aftercare windows.

Every list here is documented in docs/tracking.md; the codes themselves are the catalog's
(shared/events/catalog.py), so an event can never carry a code this list does not know.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TypeVar, get_args

from shared.commanding.errors import InvalidField
from shared.events.catalog import (
    ContractType,
    EmploymentStatus,
    EndReason,
    FollowUpMonths,
    GoalType,
    MeetingMode,
    MeetingTopic,
    PartnerKind,
    ReferralOutcome,
)
from shared.nace import NaceSection

# What a meeting can be about: one fixed list, never free text (it could hold personal data).
TOPICS: tuple[MeetingTopic, ...] = get_args(MeetingTopic)
MODES: tuple[MeetingMode, ...] = get_args(MeetingMode)
# The goals of a career action plan, coded for the same reason.
GOALS: tuple[GoalType, ...] = get_args(GoalType)
CONTRACT_TYPES: tuple[ContractType, ...] = get_args(ContractType)
END_REASONS: tuple[EndReason, ...] = get_args(EndReason)
EMPLOYMENT_STATUSES: tuple[EmploymentStatus, ...] = get_args(EmploymentStatus)
SECTORS: tuple[NaceSection, ...] = get_args(NaceSection)
PARTNER_KINDS: tuple[PartnerKind, ...] = get_args(PartnerKind)
REFERRAL_OUTCOMES: tuple[ReferralOutcome, ...] = get_args(ReferralOutcome)
Code = TypeVar("Code", bound=str | int)  # one of the catalog's Literal code types

MIN_MEETING_MINUTES = 1
MAX_MEETING_MINUTES = 10 * 60
# Outcomes (jobs, trainings, internships and what becomes of them) may still be recorded this
# long after the duo ended: a positive exit counts "within 12 months after the duo ends".
AFTERCARE_MONTHS = 12
# Follow-ups after the end, each recorded once, from its due day until the window closes.
FOLLOW_UP_MONTHS: tuple[FollowUpMonths, ...] = get_args(FollowUpMonths)
FOLLOW_UP_WINDOW_MONTHS = 3
# A duo with no meeting for this many days is listed as inactive (GET /duos/inactive?days= overrides it).
INACTIVE_AFTER_DAYS = 21


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due_on(ended_on: date, months: int) -> date:
    """The day a follow-up becomes due."""
    return add_months(ended_on, months)


def follow_up_closes_on(ended_on: date, months: int) -> date:
    """The last day a follow-up can be recorded."""
    return add_months(ended_on, months + FOLLOW_UP_WINDOW_MONTHS) - timedelta(days=1)


def aftercare_ends_on(ended_on: date) -> date:
    """The last day an outcome of an ended duo can be recorded."""
    return add_months(ended_on, AFTERCARE_MONTHS)


def check_past_date(field: str, day: date, today: date, formed_on: date) -> None:
    """A date a fact happened on: not in the future, and not before the duo was formed."""
    if day > today:
        raise InvalidField(field, "not_in_future", f"must not be in the future (today is {today.isoformat()})")
    if day < formed_on:
        raise InvalidField(
            field, "not_before_duo_formed", f"must not be before the duo was formed ({formed_on.isoformat()})"
        )


def check_topics(topics: tuple[str, ...]) -> tuple[MeetingTopic, ...]:
    """At least one topic, each from the fixed list; the topics in the list's order, each once."""
    if not topics:
        raise InvalidField("topics", "topics_required", "name at least one topic the duo worked on")
    for index, topic in enumerate(topics):
        if topic not in TOPICS:
            raise InvalidField(f"topics.{index}", "known_topic", f"unknown topic {topic!r}: one of {', '.join(TOPICS)}")
    return tuple(t for t in TOPICS if t in topics)


def check_duration(minutes: int) -> None:
    """A meeting lasts from 1 minute to 10 hours."""
    if not MIN_MEETING_MINUTES <= minutes <= MAX_MEETING_MINUTES:
        raise InvalidField(
            "duration_minutes",
            "meeting_duration",
            f"must be from {MIN_MEETING_MINUTES} minute to {MAX_MEETING_MINUTES // 60} hours "
            f"({MAX_MEETING_MINUTES} minutes)",
        )


def check_known(field: str, value: object, allowed: tuple[Code, ...], rule: str) -> Code:
    """A coded value from its fixed list, returned as the list's own value (so typed as one of its codes)."""
    for code in allowed:
        if code == value:
            return code
    raise InvalidField(field, rule, f"unknown value {value!r}: one of {', '.join(map(str, allowed))}")
