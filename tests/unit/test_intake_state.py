"""Folding a stream into the current state of a mentee or mentor."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.intake.domain.mentee import MENTEE
from services.intake.domain.mentor import MENTOR
from services.intake.domain.training import TRAINING_MODULES
from shared.events.catalog import (
    MenteeProfileChanged,
    MenteeReadyForMatching,
    MenteeRegistered,
    MenteeWithdrawn,
    MentorProfileChanged,
    MentorRegistered,
    MentorTrainingCompleted,
    MentorTrainingModuleCompleted,
    MentorWithdrawn,
    SectorExperience,
)
from shared.events.envelope import EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def stream(*events) -> list[EventEnvelope]:
    meta = EventMetadata(tenant=Tenant.BE, office="be-aalst", actor="test", occurred_at=AT)
    return [EventEnvelope.record(NewEvent(e, meta), "s", n, AT) for n, e in enumerate(events, start=1)]


def test_a_mentee_folds_registration_changes_and_withdrawal():
    mid = uuid.uuid4()
    envelopes = stream(
        MenteeRegistered(
            mentee_id=mid, job_target_sector="Q", languages=("fr",), weekly_availability_hours=3, age_band="18-24"
        ),
        MenteeProfileChanged(mentee_id=mid, changed_fields=("languages",), languages=("fr", "nl")),
    )
    state = MENTEE.fold(envelopes)
    assert (state.mentee_id, state.version, state.status, state.office, state.tenant) == (
        mid,
        2,
        "registered",
        "be-aalst",
        Tenant.BE,
    )
    assert state.languages == ("fr", "nl") and state.job_target_sector == "Q" and state.weekly_availability_hours == 3
    assert not state.ready_for_matching and state.registered_at == AT  # the steps before matching come first
    assert state.rules_version == "2024.1"  # an event from before rules were versioned loads with the first version
    ready = MENTEE.fold(stream(MenteeReadyForMatching(mentee_id=mid))[0:1], state)
    assert ready.ready_for_matching

    withdrawn = MENTEE.fold(stream(MenteeWithdrawn(mentee_id=mid, reason="moved_away"))[0:1], ready)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawal_reason == "moved_away"
    assert not withdrawn.ready_for_matching


def test_an_empty_stream_is_nobody():
    assert MENTEE.fold([]).version == 0 and MENTOR.fold([]).version == 0


def test_a_mentor_is_ready_only_after_training_and_until_withdrawal():
    mid = uuid.uuid4()
    registered = MentorRegistered(
        mentor_id=mid,
        sectors=("C",),
        experience=(SectorExperience(sector="C", years=9),),
        languages=("nl",),
        capacity=1,
    )
    modules = [
        MentorTrainingModuleCompleted(mentor_id=mid, module=m, completed_on=date(2026, 3, 2)) for m in TRAINING_MODULES
    ]
    in_training = MENTOR.fold(stream(registered, *modules[:3]))
    assert in_training.status == "in_training" and not in_training.ready_for_matching
    assert in_training.modules_completed == tuple(TRAINING_MODULES)[:3]

    trained = MENTOR.fold(
        stream(
            registered,
            *modules,
            MentorTrainingCompleted(mentor_id=mid),
            MentorProfileChanged(mentor_id=mid, changed_fields=("capacity",), capacity=2),
        )
    )
    assert trained.ready_for_matching and trained.training_completed and trained.capacity == 2
    assert trained.sectors == ("C",) and trained.version == 11

    left = MENTOR.fold(stream(registered, MentorWithdrawn(mentor_id=mid, reason="health")))
    assert left.status == "withdrawn" and not left.ready_for_matching
