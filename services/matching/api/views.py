"""Matching's answers."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from services.matching.domain.proposal import ProposalState


class ProposalView(BaseModel):
    """A proposal: who, how well they fit and why (score, terms, configuration), and where it stands."""

    proposal_id: uuid.UUID
    version: int
    status: str
    office: str
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    round_id: uuid.UUID | None
    score: float
    terms: dict[str, float]
    config_version: str
    proposed_on: date
    expires_on: date
    meeting_on: date | None
    accepted_by: list[str]
    duo_id: uuid.UUID | None

    @classmethod
    def of(cls, s: ProposalState) -> ProposalView:
        assert s.proposal_id and s.office and s.mentee_id and s.mentor_id and s.proposed_on and s.expires_on
        return cls(
            proposal_id=s.proposal_id,
            version=s.version,
            status=s.status,
            office=s.office,
            mentee_id=s.mentee_id,
            mentor_id=s.mentor_id,
            round_id=s.round_id,
            score=s.score,
            terms=s.terms,
            config_version=s.config_version,
            proposed_on=s.proposed_on,
            expires_on=s.expires_on,
            meeting_on=s.meeting_on,
            accepted_by=sorted(s.accepted_by),
            duo_id=s.duo_id,
        )


class Suggestion(BaseModel):
    """One counterpart, with the score, each term and the reasons, or why the pair cannot be proposed."""

    person_id: uuid.UUID
    score: float
    terms: dict[str, float]
    reasons: list[str]
    feasible: bool
    refusals: list[str]


class Suggestions(BaseModel):
    """The best counterparts for one person, best first, and the configuration that scored them."""

    config_version: str
    items: list[Suggestion]


class MenteeSuggestions(BaseModel):
    """One waiting mentee of an office board and the best mentors for them, best first."""

    mentee_id: uuid.UUID
    registered_on: date
    items: list[Suggestion]


class OfficeBoard(BaseModel):
    """Every waiting mentee of an office, the longest waiting first, each with the best mentors for them."""

    config_version: str
    office: str
    mentees: list[MenteeSuggestions]


class RoundView(BaseModel):
    """What a round proposed and whom it could not match."""

    round_id: uuid.UUID
    config_version: str
    proposals: list[ProposalView]
    unmatched_mentees: list[uuid.UUID]
