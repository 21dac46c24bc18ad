"""Where each mentee, proposal and duo stands in a coordinator's lists, as intervals of the day asked for. Pure.

The lists (coordination.py) are stated as of a day D from the facts recorded by the end of D. Whether an entity is
in a list, and what the list shows of it, depends on D only by comparing it with dates its facts carry (the days
they were recorded, their own days, the 21st day after a meeting, a follow-up's due day), exactly as its part of
the figures does (steps.py). So each entity's place in the lists is a set of listings: (list, branch, office, the
day it is listed from, the day it is listed until, what the list shows). A list as of D is the listings whose
interval holds D: an indexed read whatever the ledger's size (adapters/listings.py keeps them, ADR 0024).

What a list shows that moves with D itself (days waiting, days to expiry, days without a meeting) is computed
when it is read, from the dates kept here. The rules are those of the lists as the read models state them,
which the oracle test holds equal to the fold (coordination.coordination).
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.reporting.domain.definitions import FOLLOW_UP_MONTHS, INACTIVE_AFTER_DAYS
from services.reporting.domain.report import add_months
from services.reporting.domain.steps import DuoFact, DuoRow, KnownOfDuo, LedgerOrder, duo_dates, known_of_duo_by_day
from shared.events.catalog import (
    DuoFormed,
    FirstMeetingScheduled,
    FollowUpRecorded,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
)

WAITING, PROPOSALS, INACTIVE, FOLLOW_UPS = "waiting", "proposals", "inactive", "follow_ups"
OPEN = date.max  # the day an interval that has not ended is listed until
_CLOSING = (DuoFormed.event_type, MatchDeclined.event_type, MatchExpired.event_type)


@dataclass(frozen=True)
class Shown:
    """One entity's line in one list, as of some day: what orders it (`rank_day`, then its id, then `months`) and
    what the line shows (`item`, as JSON values)."""

    list: str
    tenant: str
    office: str
    rank_day: date | None
    months: int
    item: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Listing:
    """A line shown from `from_day` up to, not including, `until_day` (OPEN: still shown)."""

    shown: Shown
    from_day: date
    until_day: date


@dataclass(frozen=True)
class MenteeStep:
    """A fact that moves a mentee between registered, waiting, in a duo and gone (rm_mentee_steps)."""

    event_id: uuid.UUID
    status: str
    registered: bool
    tenant: str
    office: str
    occurred_at: datetime
    causal_rank: int
    day: date
    recorded: date
    order: LedgerOrder


@dataclass(frozen=True)
class ProposalFact:
    """A fact of a proposal's life (rm_proposal_facts)."""

    event_id: uuid.UUID
    proposal_id: uuid.UUID
    event_type: str
    tenant: str
    office: str
    day: date
    recorded: date
    order: LedgerOrder
    mentee_id: uuid.UUID | None = None
    mentor_id: uuid.UUID | None = None
    expires_on: date | None = None
    meeting_on: date | None = None
    side: str | None = None


def listings_of(shown_at: Callable[[date], Iterable[Shown]], dates: Iterable[date]) -> list[Listing]:
    """The intervals of lines that can change only at `dates` (and are shown nowhere before the first of them)."""
    listings: list[Listing] = []
    since: dict[Shown, date] = {}
    for day in sorted(set(dates)):
        shown = shown_at(day)
        if not shown and not since:  # most of a duo's days: listed nowhere before or after (issue 24)
            continue
        now = set(shown)
        for line in [line for line in since if line not in now]:
            listings.append(Listing(line, since.pop(line), day))
        for line in now - since.keys():
            since[line] = day
    listings += [Listing(line, day, OPEN) for line, day in since.items()]
    return listings


def _last(facts: Iterable[Any]) -> Any:
    return max(facts, key=lambda f: f.order, default=None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def open_proposal(proposals: Sequence[ProposalFact], as_of: date) -> ProposalFact | None:
    """The proposal as last proposed, if nothing closed it by the end of `as_of` (its MatchProposed fact)."""
    known = [f for f in proposals if f.recorded <= as_of]
    if any(f.event_type in _CLOSING for f in known):
        return None
    proposed: ProposalFact | None = _last(f for f in known if f.event_type == MatchProposed.event_type)
    return proposed


def proposal_listings(facts: Sequence[ProposalFact]) -> list[Listing]:
    """A proposal's line in the open proposals, while it is open."""
    return listings_of(lambda day: _proposal_shown(facts, day), (f.recorded for f in facts))


def _proposal_shown(facts: Sequence[ProposalFact], as_of: date) -> list[Shown]:
    shown = []
    for tenant in {f.tenant for f in facts}:
        of_branch = [f for f in facts if f.tenant == tenant]
        proposed = open_proposal(of_branch, as_of)
        if proposed is None:
            continue
        known = [f for f in of_branch if f.recorded <= as_of]
        meeting = _last(f for f in known if f.event_type == FirstMeetingScheduled.event_type)
        item = (
            ("proposal_id", str(proposed.proposal_id)),
            ("mentee_id", str(proposed.mentee_id)),
            ("mentor_id", str(proposed.mentor_id)),
            ("proposed_on", proposed.day.isoformat()),
            ("first_meeting_on", _iso(meeting.meeting_on) if meeting else None),
            ("accepted_by", tuple(sorted({f.side for f in known if f.side is not None}))),
            ("expires_on", _iso(proposed.expires_on)),
        )
        shown.append(Shown(PROPOSALS, tenant, proposed.office, proposed.expires_on, 0, item))
    return shown


def mentee_listings(
    mentee_id: uuid.UUID, steps: Sequence[MenteeStep], proposals: Sequence[Sequence[ProposalFact]]
) -> list[Listing]:
    """A mentee's line among those waiting for a mentor, with the open proposals made to them (each proposal's
    facts): which one the line shows depends on the offices read, so it is chosen when the list is read."""
    dates = [s.recorded for s in steps] + [f.recorded for facts in proposals for f in facts]
    return listings_of(lambda day: _mentee_shown(mentee_id, steps, proposals, day), dates)


def _mentee_shown(
    mentee_id: uuid.UUID, steps: Sequence[MenteeStep], proposals: Sequence[Sequence[ProposalFact]], as_of: date
) -> list[Shown]:
    shown = []
    for tenant in {s.tenant for s in steps}:
        known = [s for s in steps if s.tenant == tenant and s.recorded <= as_of]
        if not known:
            continue
        now = max(known, key=lambda s: (s.occurred_at, s.causal_rank, s.order[2], s.event_id))
        if now.status != "waiting":
            continue
        registered = _last(s for s in known if s.registered)
        first = min(known, key=lambda s: s.order)
        office = registered.office if registered else first.office
        open_ones = [
            p
            for facts in proposals
            if (p := open_proposal([f for f in facts if f.tenant == tenant], as_of)) and p.mentee_id == mentee_id
        ]
        # The line shows the last proposed of those in the offices read (adapters/read_lists.py): all, last first.
        offered = tuple(
            (str(p.proposal_id), p.office, _iso(p.expires_on)) for p in sorted(open_ones, key=lambda p: p.order)[::-1]
        )
        item = (
            ("mentee_id", str(mentee_id)),
            ("registered_on", _iso(registered.day) if registered else None),
            ("waiting_since", now.day.isoformat()),
            ("proposals", offered),
        )
        shown.append(Shown(WAITING, tenant, office, now.day, 0, item))
    return shown


def duo_listings(duo: DuoRow, facts: Sequence[DuoFact]) -> list[Listing]:
    """A duo's lines among the inactive duos and the follow-ups due (report.py's rules, as steps.duo_steps), from one
    sweep over its days (each fact learnt once, as steps.duo_steps does)."""
    known_by = known_of_duo_by_day(duo, facts)
    return listings_of(lambda day: _duo_shown(known_by(day), day), duo_dates(duo, facts))


def _duo_shown(known_of_duo: KnownOfDuo, as_of: date) -> list[Shown]:
    """The duo's lines as of `as_of`, from what is known of it by then."""
    duo, known = known_of_duo.duo, known_of_duo.others  # every fact but its meetings and referrals
    if duo.recorded > as_of:
        return []
    end = known_of_duo.end
    ended_on = end.on_day if end is not None else None
    if end is None or ended_on is None or ended_on > as_of:
        since = as_of - timedelta(days=INACTIVE_AFTER_DAYS)
        met = known_of_duo.met  # the days of its meetings that have one, in order
        first_after = bisect_right(met, since)  # the first meeting after `since`: on or before as_of?
        if duo.formed_on > since or (first_after < len(met) and met[first_after] <= as_of):
            return []
        up_to = bisect_right(met, as_of)
        last = met[up_to - 1] if up_to else None  # the last meeting on or before as_of
        item = (("duo_id", str(duo.duo_id)), ("formed_on", duo.formed_on.isoformat()), ("last_meeting_on", _iso(last)))
        return [Shown(INACTIVE, duo.tenant, duo.office, last or duo.formed_on, 0, item)]
    done = {f.months for f in known if f.event_type == FollowUpRecorded.event_type}
    due = [(months, add_months(ended_on, months)) for months in FOLLOW_UP_MONTHS if months not in done]
    return [
        Shown(
            FOLLOW_UPS,
            duo.tenant,
            duo.office,
            due_on,
            months,
            (("duo_id", str(duo.duo_id)), ("ended_on", ended_on.isoformat()), ("months", months)),
        )
        for months, due_on in due
        if due_on <= as_of
    ]
