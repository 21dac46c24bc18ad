"""Intake's HTTP API: thin routes that turn requests into commands."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain import RegisterMentee, mentee_stream, register_mentee
from shared.events.catalog import NaceSection
from shared.events.envelope import EventMetadata, NewEvent
from shared.eventstore.base import NO_STREAM
from shared.tenancy import tenant_of_office

router = APIRouter(tags=["mentees"])


class MenteeRegistration(BaseModel):
    """What a coordinator submits to register a mentee."""

    model_config = ConfigDict(extra="forbid")

    office: str = Field(examples=["be-antwerpen"])
    job_target_sector: NaceSection | None = Field(default=None, examples=["Q"])
    languages: list[str] = Field(default_factory=list, examples=[["nl", "en"]])


@router.post("/mentees", status_code=201)
async def post_mentee(body: MenteeRegistration, request: Request) -> dict:
    """Register a mentee; answers with the new mentee's id."""
    from services.intake.errors import bad_field

    try:
        tenant = tenant_of_office(body.office)
    except ValueError as err:
        raise bad_field("office", "known_office", str(err)) from None
    command = RegisterMentee(uuid.uuid4(), body.office, body.job_target_sector, tuple(body.languages))
    meta = EventMetadata(tenant=tenant, office=body.office, actor="coordinator",
                         correlation_id=request.state.correlation_id)
    events = [NewEvent(event, meta) for event in register_mentee(command)]
    await request.app.state.runtime.store.append(mentee_stream(command.mentee_id), NO_STREAM, events)
    return {"mentee_id": str(command.mentee_id)}
