"""What a coordinator asks tracking to record about a duo: one frozen dataclass per command, each
answered with the duo as it is after it. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from shared.commanding.handlers import Command

if TYPE_CHECKING:
    # What every handler answers, named in quotes below (a real import would be a cycle: domain/duo.py, which
    # folds it, imports these commands). Ruff does not read names inside a quoted base class, hence the noqa.
    from services.tracking.domain.duo import DuoState  # noqa: F401  (used in the quoted bases)


@dataclass(frozen=True)
class LogMeeting(Command["DuoState"]):
    """The duo met: when, how long, how, and about which topics (from the fixed list)."""

    duo_id: uuid.UUID
    met_on: date
    duration_minutes: int
    mode: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class LogMeetings(Command["DuoState"]):
    """Several meetings of one duo at once, as a coordinator enters a mentor's month from their logbook: all
    recorded or none."""

    duo_id: uuid.UUID
    meetings: tuple[LogMeeting, ...]


@dataclass(frozen=True)
class DrawUpActionPlan(Command["DuoState"]):
    """The career action plan, drawn up at the start: coded goals."""

    duo_id: uuid.UUID
    drawn_up_on: date
    goals: tuple[str, ...]


@dataclass(frozen=True)
class MarkGoalReached(Command["DuoState"]):
    """One goal of the action plan was reached."""

    duo_id: uuid.UUID
    goal: str
    reached_on: date


@dataclass(frozen=True)
class RecordJobFound(Command["DuoState"]):
    """The mentee started a job; `job_id` names it for its end or extension."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    sector: str
    contract_type: str
    contract_months: int | None
    hours_per_week: float
    started_on: date


@dataclass(frozen=True)
class RecordJobEnded(Command["DuoState"]):
    """A recorded job ended."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    ended_on: date


@dataclass(frozen=True)
class ExtendContract(Command["DuoState"]):
    """A fixed-term contract was extended to a new total length."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    contract_months: int
    extended_on: date


@dataclass(frozen=True)
class RecordTrainingStarted(Command["DuoState"]):
    """The mentee started a training (qualifying or not)."""

    duo_id: uuid.UUID
    started_on: date
    qualifying: bool


@dataclass(frozen=True)
class RecordInternshipStarted(Command["DuoState"]):
    """The mentee started an internship."""

    duo_id: uuid.UUID
    started_on: date


@dataclass(frozen=True)
class RecordMenteeSurvey(Command["DuoState"]):
    """The mentee's closing survey."""

    duo_id: uuid.UUID
    more_self_confidence: bool
    more_autonomous_job_search: bool
    mentor_helped_with_problems: bool


@dataclass(frozen=True)
class RecordMentorSurvey(Command["DuoState"]):
    """The mentor's closing survey."""

    duo_id: uuid.UUID
    feels_useful: bool
    adds_professional_value: bool


@dataclass(frozen=True)
class EndDuo(Command["DuoState"]):
    """The duo's mentoring ended on a day, for a coded reason."""

    duo_id: uuid.UUID
    ended_on: date
    reason: str


@dataclass(frozen=True)
class RecordFollowUp(Command["DuoState"]):
    """The mentee's employment status 3, 6 or 12 months after the end."""

    duo_id: uuid.UUID
    months: int
    status: str


@dataclass(frozen=True)
class ReferMentee(Command["DuoState"]):
    """The mentor referred the mentee to a registered partner (`referral_id` names it for its outcome), and
    perhaps went with them to the appointment."""

    duo_id: uuid.UUID
    referral_id: uuid.UUID
    partner_id: uuid.UUID
    referred_on: date
    accompanied: bool


@dataclass(frozen=True)
class RecordReferralOutcome(Command["DuoState"]):
    """What became of a referral."""

    duo_id: uuid.UUID
    referral_id: uuid.UUID
    outcome: str


@dataclass(frozen=True)
class DuoSheet:
    """What a coordinator records about one duo at once (such as its month from the mentor's logbook and the
    closing forms): each step a single command of this duo, taken in order; `place` names it in the request
    (`end`, `follow_ups.0`; "" for the meetings, whose own places are `meetings.2`)."""

    duo_id: uuid.UUID
    steps: tuple[tuple[str, Command[DuoState]], ...]


@dataclass(frozen=True)
class RecordDuoSheets(Command["tuple[DuoState, ...]"]):
    """Several duos' sheets at once: every step recorded, each under its single command's rules, or none."""

    sheets: tuple[DuoSheet, ...]
