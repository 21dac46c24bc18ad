"""A mentee: their state folded from their stream, and every decision about them. Pure.

An application that fails eligibility is recorded too, on a stream of its own
(`application-<id>`), so reporting counts applications as well as registrations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import cast

from services.intake.domain.commands import ChangeMenteeProfile, EraseMentee, RegisterMentee, WithdrawMentee
from services.intake.domain.errors import PersonErased
from services.intake.domain.rules import (
    MenteeRules,
    age_band,
    age_on,
    availability_changes,
    changed_values,
    language_changes,
    mentee_problems,
    require_active,
    require_birth_date_not_in_future,
    require_consents,
)
from shared.commanding.aggregate import Aggregate
from shared.commanding.errors import FieldProblem, NotFound
from shared.events.catalog import (
    EligibilityRule,
    MenteeApplicationRejected,
    MenteeProfileChanged,
    MenteeRegistered,
    MenteeWithdrawn,
    PersonalDataErased,
)
from shared.events.envelope import EventEnvelope
from shared.tenancy import Tenant


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

    @property
    def id(self) -> uuid.UUID:
        """The mentee's id; only a registered mentee (version 1 or more) has one."""
        assert self.mentee_id is not None, "no such mentee"
        return self.mentee_id

    @property
    def ready_for_matching(self) -> bool:
        """A registered mentee can be matched straight away."""
        return self.status == "registered"


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


def decide_application(cmd: RegisterMentee, rules: MenteeRules, today: date) -> ApplicationDecision:
    """Eligible: MenteeRegistered. Not eligible: MenteeApplicationRejected, so applications are counted too.

    `today` is the branch's local date (Caller.today): ages and "not in the future" use the same one.
    """
    consents = require_consents(cmd.consents)
    require_birth_date_not_in_future(cmd.personal.birth_date, today)
    band = age_band(age_on(cmd.personal.birth_date, today))
    problems = mentee_problems(cmd.personal.birth_date, cmd.background, cmd.languages, rules, today)
    if problems:
        return ApplicationDecision(
            MenteeApplicationRejected(
                application_id=cmd.application_id,
                failed_rules=tuple(cast(EligibilityRule, p.rule) for p in problems),
                age_band=band,
                job_target_sector=cmd.job_target_sector,
                languages=cmd.languages,
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
        ),
        (),
    )


def decide_change(
    state: MenteeState, cmd: ChangeMenteeProfile, rules: MenteeRules, occupation_now: str | None
) -> list[MenteeProfileChanged]:
    """One MenteeProfileChanged naming what really changed; nothing when the request changes nothing."""
    require_active(state, "mentee")
    changes = language_changes(cmd.languages, state.languages, rules.programme_languages)
    if cmd.job_target_sector is not None and cmd.job_target_sector != state.job_target_sector:
        changes["job_target_sector"] = cmd.job_target_sector
    changes |= availability_changes(state.weekly_availability_hours, state.available_day_parts, cmd.availability)
    changed = tuple(changes)
    if cmd.job_target_occupation is not None and cmd.job_target_occupation != occupation_now:
        changed += ("job_target_occupation",)  # the text itself stays in intake's personal data
    return [MenteeProfileChanged(mentee_id=state.id, changed_fields=changed, **changes)] if changed else []


def decide_withdrawal(state: MenteeState, cmd: WithdrawMentee) -> list[MenteeWithdrawn]:
    """A mentee leaves; leaving twice is refused."""
    require_active(state, "mentee")
    return [MenteeWithdrawn(mentee_id=state.id, reason=cmd.reason)]


def decide_erasure(state: MenteeState, cmd: EraseMentee) -> list[PersonalDataErased]:
    """Erase a mentee's personal data, once; a withdrawn mentee can be erased too."""
    if state.version == 0:
        raise NotFound("mentee")
    if state.status == "erased":
        raise PersonErased("mentee")
    return [PersonalDataErased(person_id=state.id, kind="mentee", reason=cmd.reason)]
