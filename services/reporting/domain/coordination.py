"""What a coordinator acts on, as of a date, from the programme index: mentees waiting for a mentor, open
proposals and their expiry, inactive duos, follow-ups due. Pure.

Inactive duos and follow-ups due are those of the figures (report.py, under the same definitions), listed one
by one instead of counted, so that the list and the figure can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from services.reporting.domain.definitions import FOLLOW_UP_DUE, FOLLOW_UP_MONTHS, INACTIVE_DUO, Definition
from services.reporting.domain.programme import Place, Programme
from services.reporting.domain.report import _inactive, add_months
from shared.tenancy import Tenant

WAITING_FOR_A_MENTOR = Definition(
    "waiting-for-a-mentor/v1",
    "mentees ready for matching (information session attended, intake interview suitable) who are in no duo and "
    "have not withdrawn; they wait from the day they became ready",
)
OPEN_PROPOSAL = Definition(
    "open-proposal/v1",
    "a proposal (MatchProposed) neither formed into a duo, declined nor expired; overdue when its expiry day "
    "has passed and matching has not expired it yet",
)
# Items per list of a page (each list also has its total; a client asks for more with `limit`, up to MAX_LIMIT): the
# most urgent fifty of each list are a coordinator's working set, and four lists of 200 items made the page's read
# cost about twice as much, its JSON built item by item (docs/performance.md section 8).
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Offices:
    """Whose work: a branch, and the offices of it (None: every office of the branch)."""

    branch: Tenant
    offices: Collection[str] | None = None

    def holds(self, place: Place | None) -> bool:
        return (
            place is not None and place.tenant == self.branch and (self.offices is None or place.office in self.offices)
        )


Listed = tuple[int, list[dict[str, Any]]]  # a list's total, and its first items
Items = TypeVar("Items")


def _listed(items: list[dict[str, Any]], limit: int) -> Listed:
    return len(items), items[:limit]


def coordination(p: Programme, where: Offices, as_of: date, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """The coordinator's lists for their offices as of `as_of` (the programme holds only facts recorded by then);
    each list has its total and at most `limit` items, the most urgent first. Ids only: reporting holds no names."""
    return stated_lists(
        _listed(waiting_mentees(p, where, as_of), limit),
        _listed(open_proposals(p, where, as_of), limit),
        _listed(inactive_duos(p, where, as_of), limit),
        _listed(follow_ups_due(p, where, as_of), limit),
    )


def stated_lists(
    waiting: tuple[int, Items], proposals: tuple[int, Items], inactive: tuple[int, Items], follow_ups: tuple[int, Items]
) -> dict[str, Any]:
    """The four lists as the API states them, each with its definition (the fold's and the read models' alike);
    a list's items as they come (a list of dicts, or a stand-in the API replaces with the database's JSON)."""
    lists = {
        "waiting_mentees": (waiting, WAITING_FOR_A_MENTOR),
        "open_proposals": (proposals, OPEN_PROPOSAL),
        "inactive_duos": (inactive, INACTIVE_DUO),
        "follow_ups_due": (follow_ups, FOLLOW_UP_DUE),
    }
    return {
        **{name: {"total": total, "items": items, "definition": d.key} for name, ((total, items), d) in lists.items()},
        "definitions": {d.key: d.text for d in (WAITING_FOR_A_MENTOR, OPEN_PROPOSAL, INACTIVE_DUO, FOLLOW_UP_DUE)},
    }


def waiting_mentees(p: Programme, where: Offices, as_of: date) -> list[dict[str, Any]]:
    """Mentees waiting for a mentor, the longest wait first, each with their open proposal if they have one."""
    proposed = {
        proposal.mentee_id: proposal
        for proposal in p.proposals.values()
        if proposal.open and where.holds(proposal.place)
    }
    waiting = []
    for journey in p.mentees.values():
        status, since = journey.status()
        if status != "waiting" or since is None or not where.holds(journey.place):
            continue
        assert journey.place is not None
        proposal = proposed.get(journey.mentee_id)
        waiting.append(
            {
                "mentee_id": str(journey.mentee_id),
                "office": journey.place.office,
                "registered_on": journey.registered_on.isoformat() if journey.registered_on else None,
                "waiting_since": since.isoformat(),
                "days_waiting": max((as_of - since).days, 0),
                "open_proposal": str(proposal.proposal_id) if proposal else None,
                "proposal_expires_on": proposal.expires_on.isoformat() if proposal and proposal.expires_on else None,
            }
        )
    return sorted(waiting, key=lambda m: (-m["days_waiting"], m["mentee_id"]))


def open_proposals(p: Programme, where: Offices, as_of: date) -> list[dict[str, Any]]:
    """Proposals still open, the soonest expiry first (overdue ones first of all)."""
    items = []
    for proposal in p.proposals.values():
        if not proposal.open or not where.holds(proposal.place):
            continue
        assert proposal.place is not None and proposal.proposed_on is not None
        expires = proposal.expires_on
        items.append(
            {
                "proposal_id": str(proposal.proposal_id),
                "office": proposal.place.office,
                "mentee_id": str(proposal.mentee_id),
                "mentor_id": str(proposal.mentor_id),
                "proposed_on": proposal.proposed_on.isoformat(),
                "first_meeting_on": proposal.first_meeting_on.isoformat() if proposal.first_meeting_on else None,
                "accepted_by": sorted(proposal.accepted_by),
                "expires_on": expires.isoformat() if expires else None,
                "days_to_expiry": (expires - as_of).days if expires else None,
                "overdue": bool(expires and expires < as_of),
            }
        )
    return sorted(items, key=lambda i: (i["expires_on"] or "9999", i["proposal_id"]))


def inactive_duos(p: Programme, where: Offices, as_of: date) -> list[dict[str, Any]]:
    """The figures' inactive duos (report.py), the longest silence first."""
    duos = [d for d in p.duos.values() if where.holds(d.place)]
    items = []
    for duo in _inactive(duos, as_of):
        met = [date.fromisoformat(m["met_on"]) for m in duo.meetings if m.get("met_on")]
        last = max((day for day in met if day <= as_of), default=None)
        items.append(
            {
                "duo_id": str(duo.duo_id),
                "office": duo.place.office,
                "formed_on": duo.formed_on.isoformat(),
                "last_meeting_on": last.isoformat() if last else None,
                "days_without_meeting": (as_of - (last or duo.formed_on)).days,
            }
        )
    return sorted(items, key=lambda i: (-i["days_without_meeting"], i["duo_id"]))


def follow_ups_due(p: Programme, where: Offices, as_of: date) -> list[dict[str, Any]]:
    """The figures' follow-ups due (report.py: the day has come, none recorded), the oldest due day first."""
    items = []
    for duo in p.duos.values():
        if not where.holds(duo.place) or duo.ended_on is None or duo.ended_on > as_of:
            continue
        for months in FOLLOW_UP_MONTHS:
            due_on = add_months(duo.ended_on, months)
            if months not in duo.follow_ups and due_on <= as_of:
                items.append(
                    {
                        "duo_id": str(duo.duo_id),
                        "office": duo.place.office,
                        "ended_on": duo.ended_on.isoformat(),
                        "months": months,
                        "due_on": due_on.isoformat(),
                        "days_overdue": (as_of - due_on).days,
                    }
                )
    return sorted(items, key=lambda i: (i["due_on"], i["duo_id"], i["months"]))
