"""What the mentee, mentor and erasure routes share once a request is read: one command carried out (once per
Idempotency-Key) or one profile read, answered with the person's view. A mentee and a mentor differ only in the
command, the view and the profile read, which the routes pass in."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake import service
from services.intake.api.access import log_read
from services.intake.api.views import PersonalData
from services.intake.domain.commands import Registration
from services.intake.domain.mentee import MenteeState
from services.intake.domain.mentor import MentorState
from services.intake.service import IntakeUnit
from shared.auth.identity import Identity
from shared.commanding.caller import Caller
from shared.commanding.handlers import Command
from shared.commanding.http import caller_of, error_body, reading, run_command
from shared.commanding.idempotency import Answer

S = TypeVar("S", MenteeState, MentorState)
View = Callable[[S], BaseModel]  # MenteeView.of or MentorView.of


async def register(
    request: Request,
    who: Caller,
    key: str | None,
    body: dict[str, Any],
    command: Command[Registration[S]],
    application_id: uuid.UUID,
    view: View[S],
) -> JSONResponse:
    """201 with the registered person, or 422 listing every failed rule (the refusal recorded under
    `application_id`)."""

    async def work(unit: IntakeUnit[Any]) -> Answer:
        outcome = await service.execute(unit, command, who)
        if outcome.person is None:
            return Answer(422, error_body("not eligible", outcome.refused, application_id=application_id))
        return Answer(201, view(outcome.person).model_dump(mode="json"))

    return await run_command(request, who, key, body, work)


async def changed(
    request: Request, who: Caller, key: str | None, body: dict[str, Any], command: Command[S], view: View[S]
) -> JSONResponse:
    """200 with the person as the command leaves them."""

    async def work(unit: IntakeUnit[Any]) -> Answer:
        return Answer(200, view(await service.execute(unit, command, who)).model_dump(mode="json"))

    return await run_command(request, who, key, body, work)


ProfileRead = Callable[[IntakeUnit[Any], uuid.UUID, Caller], Awaitable[tuple[S, dict[str, Any]]]]


async def profile(
    request: Request,
    identity: Identity,
    person_id: uuid.UUID,
    read: ProfileRead[S],
    action: str,
    view: View[S],
    profile_model: type[BaseModel],
) -> JSONResponse:
    """The person's profile with their personal data (the read recorded in the access log as `action`); ETag is
    the version."""
    async with reading(request) as unit:
        state, personal = await read(unit, person_id, caller_of(request, identity))
        await log_read(unit, request, identity, action, [person_id])
    answer = profile_model(**view(state).model_dump(), personal=PersonalData(**personal))
    return JSONResponse(answer.model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})
