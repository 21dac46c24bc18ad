"""A retried request's answer, rendered again from the log: intake keeps only ids and the version of its
answers (no personal data in the idempotency table), and the record's events up to that version give the
first answer back exactly."""

from __future__ import annotations

import uuid
from typing import Any

from services.intake.api.views import MenteeView, MentorView
from services.intake.domain.mentee import MENTEE
from services.intake.domain.mentor import MENTOR
from services.intake.service import IntakeUnit
from shared.commanding.caller import Caller
from shared.commanding.idempotency import Answer
from shared.events.envelope import EventEnvelope


async def replay_answer(unit: IntakeUnit[Any], caller: Caller, kept: Answer) -> Answer:
    """The first answer to a command, as it was: the person's view at the version it answered."""
    version = kept.body.get("version")
    if not isinstance(version, int):
        return kept
    if "mentee_id" in kept.body:
        mentee = MENTEE.fold(await _up_to(unit, caller, MENTEE.stream(uuid.UUID(kept.body["mentee_id"])), version))
        if mentee.version == version:
            return Answer(kept.status, MenteeView.of(mentee).model_dump(mode="json"))
    if "mentor_id" in kept.body:
        mentor = MENTOR.fold(await _up_to(unit, caller, MENTOR.stream(uuid.UUID(kept.body["mentor_id"])), version))
        if mentor.version == version:
            return Answer(kept.status, MentorView.of(mentor).model_dump(mode="json"))
    return kept


async def _up_to(unit: IntakeUnit[Any], caller: Caller, stream_id: str, version: int) -> list[EventEnvelope]:
    events = await unit.store.read_stream_in(unit.tx, stream_id, caller.tenant)
    return [e for e in events if e.stream_version <= version]
