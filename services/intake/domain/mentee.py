"""A mentee: their state folded from their stream, and every decision about them. Pure.

An application that fails eligibility is recorded too, on a stream of its own
(`application-<id>`), so reporting counts applications as well as registrations.

A mentee registers `registered`, not yet matchable: the information session and the intake
interview come first, and MenteeReadyForMatching follows once both are done and the interview
found them suitable. A mentee who withdrew may rejoin on the same id (MenteeRejoined).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import cast

from services.intake.domain.commands import (
    ChangeMenteeProfile,
    EraseMentee,
    JobOutcome,
    MigrationBackground,
    RecordInformationSession,
    RecordIntakeInterview,
    RegisterMentee,
    RejoinMentee,
    TrainingOutcome,
    WithdrawMentee,
)
from services.intake.domain.errors import AlreadyReady, NotEligible, NotWithdrawn, PersonErased
from services.intake.domain.rules import (
    BranchRules,
    age_on,
    availability_changes,
    changed_values,
    language_changes,
    mentee_problems,
    require_active,
    require_birth_date_not_in_future,
    require_completed_between,
    require_consents,
)
from shared.commanding.aggregate import Aggregate
from shared.commanding.errors import FieldProblem, InvalidField, NotFound
from shared.events.catalog import (
    EligibilityRule,
    InformationSessionAttended,
    IntakeInterviewHeld,
    MenteeApplicationRejected,
    MenteeOutcomeBeforeDuo,
    MenteeProfileChanged,
    MenteeReadyForMatching,
    MenteeRegistered,
    MenteeRejoined,
    MenteeTargetGroupConsentWithdrawn,
    MenteeTargetGroupRecorded,
    MenteeWithdrawn,
    PersonalDataErased,
)
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.tenancy import Tenant, local_date


@dataclass(frozen=True)
class MenteeState:
    """A mentee as their events describe them; version 0 means no such mentee."""

    mentee_id: uuid.UUID | None = None
    version: int = 0
    tenant: Tenant | None = None
    office: str | None = None
    status: str = "unknown"  # registered | withdrawn | erased
    job_target_sector: str | None = None
    languages: tuple[str, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[str, ...] = ()
    age_band: str | None = None
    consents: tuple[str, ...] = ()
    registered_at: datetime | None = None
    withdrawal_reason: str | None = None
    rules_version: str | None = None
    information_session_on: date | None = None
    interview_on: date | None = None
    interview_outcome: str | None = None
    interview_reason: str | None = None
    ready: bool = False  # MenteeReadyForMatching recorded (and not undone by a rejoin since)
    target_group: MenteeTargetGroupRecorded | None = None  # recorded with consent; None: unknown

    @property
    def id(self) -> uuid.UUID:
        """The mentee's id; only a registered mentee (version 1 or more) has one."""
        assert self.mentee_id is not None, "no such mentee"
        return self.mentee_id

    @property
    def ready_for_matching(self) -> bool:
        """Registered, information session attended, interview suitable: MenteeReadyForMatching recorded."""
        return self.status == "registered" and self.ready

    @property
    def steps_done(self) -> bool:
        """Both steps before matching are done and the interview found the mentee suitable."""
        return self.information_session_on is not None and self.interview_outcome == "suitable"


def evolve(state: MenteeState, envelope: EventEnvelope) -> MenteeState:
    """One event applied to a mentee."""
    event = envelope.payload()
    match event:
        case MenteeRegistered():
            return replace(
                state,
                mentee_id=event.mentee_id,
                tenant=envelope.tenant,
                office=envelope.office,
                status="registered",
                job_target_sector=event.job_target_sector,
                languages=event.languages,
                weekly_availability_hours=event.weekly_availability_hours,
                available_day_parts=event.available_day_parts,
                age_band=event.age_band,
                consents=event.consents,
                registered_at=envelope.occurred_at,
                rules_version=event.rules_version,
            )
        case InformationSessionAttended():
            return replace(state, information_session_on=event.attended_on)
        case IntakeInterviewHeld():
            return replace(
                state, interview_on=event.held_on, interview_outcome=event.outcome, interview_reason=event.reason
            )
        case MenteeReadyForMatching():
            return replace(state, ready=True)
        case MenteeRejoined():
            # Back as registered; the intake interview is held again before matching (docs/domain.md).
            return replace(
                state,
                status="registered",
                withdrawal_reason=None,
                age_band=event.age_band,
                rules_version=event.rules_version,
                interview_on=None,
                interview_outcome=None,
                interview_reason=None,
                ready=False,
            )
        case MenteeProfileChanged():
            return replace(
                state,
                **changed_values(
                    event, "job_target_sector", "languages", "weekly_availability_hours", "available_day_parts"
                ),
            )
        case MenteeWithdrawn():
            return replace(state, status="withdrawn", withdrawal_reason=event.reason)
        case MenteeTargetGroupRecorded():
            return replace(state, target_group=event)
        case MenteeTargetGroupConsentWithdrawn():
            return replace(state, target_group=None)
        case PersonalDataErased():
            return replace(state, status="erased")
    return state  # an event type added later that this version does not know changes nothing here


MENTEE = Aggregate("mentee", MenteeState(), evolve)
APPLICATION = Aggregate("application", MenteeState(), evolve)  # a refused application: one event, never folded


@dataclass(frozen=True)
class ApplicationDecision:
    """The fact to record for an application, and the rules it failed (none when registered)."""

    event: MenteeRegistered | MenteeApplicationRejected
    problems: tuple[FieldProblem, ...]


def decide_application(cmd: RegisterMentee, rules: BranchRules, today: date) -> ApplicationDecision:
    """Eligible: MenteeRegistered. Not eligible: MenteeApplicationRejected, so applications are counted too.

    `rules` are the branch's rules in force on `today`, the branch's local date (Caller.today): ages and
    "not in the future" use the same one. The event records the rules' version.
    """
    consents = require_consents(cmd.consents)
    require_birth_date_not_in_future(cmd.personal.birth_date, today)
    band = rules.age_band(age_on(cmd.personal.birth_date, today))
    problems = mentee_problems(cmd.personal.birth_date, cmd.background, cmd.languages, rules.mentee, today)
    if problems:
        return ApplicationDecision(
            MenteeApplicationRejected(
                application_id=cmd.application_id,
                failed_rules=tuple(cast(EligibilityRule, p.rule) for p in problems),
                age_band=band,
                job_target_sector=cmd.job_target_sector,
                languages=cmd.languages,
                rules_version=rules.version,
            ),
            problems,
        )
    return ApplicationDecision(
        MenteeRegistered(
            mentee_id=cmd.mentee_id,
            job_target_sector=cmd.job_target_sector,
            languages=cmd.languages,
            weekly_availability_hours=cmd.availability.hours_per_week,
            available_day_parts=cmd.availability.day_parts,
            age_band=band,
            consents=consents,
            rules_version=rules.version,
        ),
        (),
    )


def decide_change(
    state: MenteeState, cmd: ChangeMenteeProfile, rules: BranchRules, occupation_now: str | None
) -> list[MenteeProfileChanged]:
    """One MenteeProfileChanged naming what really changed; nothing when the request changes nothing."""
    require_active(state, "mentee")
    changes = language_changes(cmd.languages, state.languages, rules.mentee.programme_languages)
    if cmd.job_target_sector is not None and cmd.job_target_sector != state.job_target_sector:
        changes["job_target_sector"] = cmd.job_target_sector
    changes |= availability_changes(state.weekly_availability_hours, state.available_day_parts, cmd.availability)
    changed = tuple(changes)
    if cmd.job_target_occupation is not None and cmd.job_target_occupation != occupation_now:
        changed += ("job_target_occupation",)  # the text itself stays in intake's personal data
    return [MenteeProfileChanged(mentee_id=state.id, changed_fields=changed, **changes)] if changed else []


def _registered_on(state: MenteeState) -> date:
    assert state.tenant is not None and state.registered_at is not None  # an active mentee is registered
    return local_date(state.tenant, state.registered_at)


def _ready_if_done(state: MenteeState, events: list[DomainEvent]) -> list[DomainEvent]:
    """The steps' events, followed by MenteeReadyForMatching when they complete the steps."""
    after = state
    for event in events:
        if isinstance(event, InformationSessionAttended):
            after = replace(after, information_session_on=event.attended_on)
        elif isinstance(event, IntakeInterviewHeld):
            after = replace(after, interview_outcome=event.outcome)
    if after.steps_done and not state.ready:
        return [*events, MenteeReadyForMatching(mentee_id=state.id)]
    return events


def decide_information_session(state: MenteeState, cmd: RecordInformationSession, today: date) -> list[DomainEvent]:
    """Record the information session once, dated between registration and `today`; attending it again is
    not a new fact. With a suitable interview already held, the mentee becomes ready for matching."""
    require_active(state, "mentee")
    require_completed_between(cmd.attended_on, _registered_on(state), today, "attended_on", "mentee")
    if state.information_session_on is not None:
        return []
    return _ready_if_done(state, [InformationSessionAttended(mentee_id=state.id, attended_on=cmd.attended_on)])


def decide_intake_interview(state: MenteeState, cmd: RecordIntakeInterview, today: date) -> list[DomainEvent]:
    """Record an intake interview; a refusal (not_now, not_suitable) needs a coded reason. A mentee told
    "not now" may be interviewed again; once ready for matching, the interview is behind them (409)."""
    require_active(state, "mentee")
    if state.ready:
        raise AlreadyReady()
    require_completed_between(cmd.held_on, _registered_on(state), today, "held_on", "mentee")
    if cmd.outcome != "suitable" and cmd.reason is None:
        raise InvalidField("reason", "reason_required", f"a coded reason is required when the outcome is {cmd.outcome}")
    held = IntakeInterviewHeld(mentee_id=state.id, held_on=cmd.held_on, outcome=cmd.outcome, reason=cmd.reason)
    return _ready_if_done(state, [held])


def outcome_event(mentee_id: uuid.UUID, cmd: WithdrawMentee) -> MenteeOutcomeBeforeDuo | None:
    """The outcome a withdrawal for found_work or started_training must bring, as its event; None for others."""
    match cmd.reason, cmd.outcome:
        case "found_work", JobOutcome() as job:
            if (job.contract_type == "fixed_term") != (job.contract_months is not None):
                raise InvalidField(
                    "job.contract_months", "contract_months_fixed_term", "required for fixed_term contracts only"
                )
            return MenteeOutcomeBeforeDuo(
                mentee_id=mentee_id,
                kind="job",
                started_on=job.started_on,
                sector=job.sector,
                contract_type=job.contract_type,
                contract_months=job.contract_months,
                hours_per_week=job.hours_per_week,
            )
        case "started_training", TrainingOutcome() as training:
            return MenteeOutcomeBeforeDuo(
                mentee_id=mentee_id, kind="training", started_on=training.started_on, qualifying=training.qualifying
            )
        case "found_work", _:
            raise InvalidField("job", "outcome_required", "a withdrawal for found_work needs the job found")
        case "started_training", _:
            raise InvalidField(
                "training", "outcome_required", "a withdrawal for started_training needs the training started"
            )
        case _, None:
            return None
    raise InvalidField(
        "reason", "outcome_matches_reason", "a job goes with found_work, a training with started_training"
    )


def decide_withdrawal(state: MenteeState, cmd: WithdrawMentee, today: date | None = None) -> list[DomainEvent]:
    """A mentee leaves; leaving twice is refused. Found work or started a training: the outcome, dated no later
    than `today`, is recorded first (MenteeOutcomeBeforeDuo), then MenteeWithdrawn."""
    require_active(state, "mentee")
    outcome = outcome_event(state.id, cmd)
    if outcome is not None and today is not None and outcome.started_on > today:
        field = "job.started_on" if outcome.kind == "job" else "training.started_on"
        raise InvalidField(field, "not_in_future", f"must not be in the future (today is {today.isoformat()})")
    events: list[DomainEvent] = [outcome] if outcome is not None else []
    return [*events, MenteeWithdrawn(mentee_id=state.id, reason=cmd.reason)]


def decide_rejoin(
    state: MenteeState,
    cmd: RejoinMentee,
    birth_date: date | None,
    background: MigrationBackground,
    rules: BranchRules,
    today: date,
) -> list[MenteeRejoined]:
    """A withdrawn mentee comes back on the same id if still eligible under `rules`, those in force on the
    branch's `today`; their birth date and background come from the vault (422 listing the rules failed)."""
    if state.version == 0:
        raise NotFound("mentee")
    if state.status == "erased":
        raise PersonErased("mentee")
    if state.status != "withdrawn":
        raise NotWithdrawn("mentee")
    assert birth_date is not None, "a withdrawn mentee's personal data is kept"
    if problems := mentee_problems(birth_date, background, state.languages, rules.mentee, today):
        raise NotEligible(problems)
    band = rules.age_band(age_on(birth_date, today))
    return [MenteeRejoined(mentee_id=state.id, age_band=band, rules_version=rules.version)]


def decide_erasure(state: MenteeState, cmd: EraseMentee) -> list[PersonalDataErased]:
    """Erase a mentee's personal data, once; a withdrawn mentee can be erased too."""
    if state.version == 0:
        raise NotFound("mentee")
    if state.status == "erased":
        raise PersonErased("mentee")
    return [PersonalDataErased(person_id=state.id, kind="mentee", reason=cmd.reason)]
