"""A mentee's target-group facts (NEET, long-term unemployed, time since the last job): recorded only with the
mentee's consent, and forgotten when it is withdrawn. Pure.

The memorandum names the target groups (docs/domain.md, section 1). Long-term unemployment is a job search of 12
months or more (Eurostat's definition): so it cannot go with a last job less than 12 months ago.
"""

from __future__ import annotations

from typing import get_args

from services.intake.domain.commands import RecordTargetGroup, WithdrawTargetGroupConsent
from services.intake.domain.mentee import MenteeState
from services.intake.domain.rules import require_active
from shared.commanding.errors import InvalidField
from shared.events.catalog import MenteeTargetGroupConsentWithdrawn, MenteeTargetGroupRecorded, TimeSinceLastJob

TIMES_SINCE_LAST_JOB: tuple[TimeSinceLastJob, ...] = get_args(TimeSinceLastJob)
_RECENT: tuple[TimeSinceLastJob, ...] = ("under_6_months", "6_to_12_months")


def decide_target_group(state: MenteeState, cmd: RecordTargetGroup) -> list[MenteeTargetGroupRecorded]:
    """The facts, when the mentee consents (422 naming `consent` otherwise: nothing recorded) and they hold
    together; nothing new when they are the ones recorded."""
    require_active(state, "mentee")
    if cmd.consent is not True:
        raise InvalidField(
            "consent", "target_group_consent", "the target-group facts are recorded only with the mentee's consent"
        )
    since = next((t for t in TIMES_SINCE_LAST_JOB if t == cmd.time_since_last_job), None)
    if since is None:
        raise InvalidField("time_since_last_job", "known_band", f"one of {', '.join(TIMES_SINCE_LAST_JOB)}")
    if cmd.long_term_unemployed and since in _RECENT:
        raise InvalidField(
            "long_term_unemployed",
            "long_term_means_12_months",
            "long-term unemployment is 12 months or more without a job: not with a last job under 12 months ago",
        )
    event = MenteeTargetGroupRecorded(
        mentee_id=state.id, neet=cmd.neet, long_term_unemployed=cmd.long_term_unemployed, time_since_last_job=since
    )
    if state.target_group is not None and state.target_group == event:
        return []
    return [event]


def decide_consent_withdrawal(
    state: MenteeState, cmd: WithdrawTargetGroupConsent
) -> list[MenteeTargetGroupConsentWithdrawn]:
    """Forget the facts (the mentee is unknown again), even after the mentee left the programme: a consent can
    always be withdrawn. Nothing when none are recorded."""
    if state.target_group is None:
        return []
    return [MenteeTargetGroupConsentWithdrawn(mentee_id=state.id)]
