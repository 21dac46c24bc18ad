"""Intake decisions: pure functions of command (and state) that return events. No I/O here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.events.catalog import MenteeRegistered


def mentee_stream(mentee_id: uuid.UUID) -> str:
    """The stream holding one mentee's history."""
    return f"mentee-{mentee_id}"


@dataclass(frozen=True)
class RegisterMentee:
    """A coordinator registers a job seeker as a mentee."""

    mentee_id: uuid.UUID
    office: str
    job_target_sector: str | None
    languages: tuple[str, ...]


def register_mentee(command: RegisterMentee) -> list[MenteeRegistered]:
    """A new mentee stream starts with MenteeRegistered."""
    return [MenteeRegistered(
        mentee_id=command.mentee_id,
        job_target_sector=command.job_target_sector,
        languages=command.languages,
    )]
