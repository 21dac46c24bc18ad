"""Duo routes: reading a duo, and recording its meetings, action plan, outcomes, surveys, end and follow-ups.

Every route takes a coordinator's token; a duo at another branch, or at an office outside the
token's, is a 404. Each command answers the duo as it now stands (ETag: its version); an
Idempotency-Key makes a retry replay the first answer and record nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.tracking import service
from services.tracking.api import bodies
from services.tracking.api.views import DuoSheetsRecorded, DuoView, RecordedDuo
from services.tracking.domain import commands
from services.tracking.domain.duo import DuoState
from services.tracking.service import TrackingUnit
from shared.auth.http import authorize, roles_doc
from shared.auth.identity import Identity, Role
from shared.commanding.handlers import Command
from shared.commanding.http import IdempotencyHeader, IfMatchHeader, caller_of, reading, run_command
from shared.commanding.idempotency import Answer

Coordinator = Annotated[Identity, Depends(authorize(Role.COORDINATOR))]
COORDINATORS = roles_doc(Role.COORDINATOR)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such duo in the caller's branch (or offices), or tracking does not know it yet"}
}
router = APIRouter(prefix="/duos", tags=["duos"])
Route = TypeVar("Route", bound=Callable[..., Any])


async def _run(
    request: Request,
    identity: Identity,
    command: Command[DuoState],
    status: int,
    body: BaseModel,
    idempotency_key: str | None,
    if_match: str | None,
) -> JSONResponse:
    who = caller_of(request, identity, if_match)

    async def work(unit: TrackingUnit[Any]) -> Answer:
        return Answer(status, DuoView.of(await service.execute(unit, command, who)).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


def _post(path: str, status: int, summary: str) -> Callable[[Route], Route]:
    return router.post(
        path,
        status_code=status,
        openapi_extra=COORDINATORS,
        response_model=DuoView,
        responses=NOT_FOUND,
        summary=summary,
    )


@router.post(
    "/batch",
    openapi_extra=COORDINATORS,
    response_model=DuoSheetsRecorded,
    responses=NOT_FOUND,
    summary="Record several duos at once",
)
async def record_duo_sheets(
    body: bodies.DuoSheets, request: Request, identity: Coordinator, idempotency_key: IdempotencyHeader = None
) -> JSONResponse:
    """Up to 50 duos' sheets in one request (a month of an office's duos: action plans, meetings, outcomes,
    surveys, ends, follow-ups), each part under its single route's rules and with the same facts; all recorded in
    one transaction, or none, a problem named by its place (`sheets.3.end.ended_on`, `sheets.0.duo_id` for a duo
    tracking does not know yet: 404). One request instead of one per duo and fact."""
    who = caller_of(request, identity)
    command = commands.RecordDuoSheets(tuple(_sheet(sheet) for sheet in body.sheets))

    async def work(unit: TrackingUnit[Any]) -> Answer:
        states = await service.execute(unit, command, who)
        recorded = [RecordedDuo(duo_id=s.duo_id, version=s.version, status=s.status) for s in states]
        return Answer(200, DuoSheetsRecorded(duos=recorded).model_dump(mode="json"))

    return await run_command(request, who, idempotency_key, body.model_dump(mode="json"), work)


def _sheet(sheet: bodies.DuoSheet) -> commands.DuoSheet:
    """A sheet's parts as the single commands, in the order they are recorded, each with its place in the sheet."""
    d = sheet.duo_id
    steps: list[tuple[str, Command[DuoState]]] = []
    if sheet.action_plan is not None:
        steps.append(
            ("action_plan", commands.DrawUpActionPlan(d, sheet.action_plan.drawn_up_on, tuple(sheet.action_plan.goals)))
        )
    if sheet.meetings:
        meetings = tuple(
            commands.LogMeeting(d, m.met_on, m.duration_minutes, m.mode, tuple(m.topics)) for m in sheet.meetings
        )
        steps.append(("", commands.LogMeetings(d, meetings)))
    if (job := sheet.job) is not None:
        found = commands.RecordJobFound(
            d, uuid.uuid4(), job.sector, job.contract_type, job.contract_months, job.hours_per_week, job.started_on
        )
        steps.append(("job", found))
    if sheet.training is not None:
        steps.append(
            ("training", commands.RecordTrainingStarted(d, sheet.training.started_on, sheet.training.qualifying))
        )
    if sheet.internship is not None:
        steps.append(("internship", commands.RecordInternshipStarted(d, sheet.internship.started_on)))
    if (mentee := sheet.mentee_survey) is not None:
        survey = commands.RecordMenteeSurvey(
            d, mentee.more_self_confidence, mentee.more_autonomous_job_search, mentee.mentor_helped_with_problems
        )
        steps.append(("mentee_survey", survey))
    if (mentor := sheet.mentor_survey) is not None:
        steps.append(
            ("mentor_survey", commands.RecordMentorSurvey(d, mentor.feels_useful, mentor.adds_professional_value))
        )
    if sheet.end is not None:
        steps.append(("end", commands.EndDuo(d, sheet.end.ended_on, sheet.end.reason)))
    steps += [
        (f"follow_ups.{i}", commands.RecordFollowUp(d, f.months, f.status)) for i, f in enumerate(sheet.follow_ups)
    ]
    return commands.DuoSheet(d, tuple(steps))


@router.get("/{duo_id}", openapi_extra=COORDINATORS, response_model=DuoView, responses=NOT_FOUND)
async def get_duo(duo_id: uuid.UUID, request: Request, identity: Coordinator) -> JSONResponse:
    """A duo as tracking follows it: meetings, plan, outcomes, surveys, end and follow-ups; ETag is its version."""
    async with reading(request) as unit:
        state = await service.load_duo(unit, duo_id, caller_of(request, identity))
    return JSONResponse(DuoView.of(state).model_dump(mode="json"), headers={"ETag": f'"{state.version}"'})


@_post("/{duo_id}/meetings", 201, "Log a meeting")
async def log_meeting(
    duo_id: uuid.UUID,
    body: bodies.Meeting,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A meeting (MeetingLogged): not in the future nor before the duo was formed, 1 minute to 10 hours, topics
    from the fixed list. 409 once the duo ended."""
    command = commands.LogMeeting(duo_id, body.met_on, body.duration_minutes, body.mode, tuple(body.topics))
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/meetings/batch", 201, "Log several meetings at once")
async def log_meetings(
    duo_id: uuid.UUID,
    body: bodies.MeetingLog,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A mentor's month from their logbook: up to 31 meetings (one MeetingLogged each), each under the rules of a
    single meeting; all recorded in one transaction, or none, with a problem named by its place
    (`meetings.2.met_on`). One request instead of one per meeting."""
    meetings = tuple(
        commands.LogMeeting(duo_id, m.met_on, m.duration_minutes, m.mode, tuple(m.topics)) for m in body.meetings
    )
    return await _run(request, identity, commands.LogMeetings(duo_id, meetings), 201, body, idempotency_key, if_match)


@_post("/{duo_id}/action-plan", 201, "Draw up the action plan")
async def draw_up_action_plan(
    duo_id: uuid.UUID,
    body: bodies.ActionPlan,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The career action plan (ActionPlanDrawnUp), once per duo: coded goals only."""
    command = commands.DrawUpActionPlan(duo_id, body.drawn_up_on, tuple(body.goals))
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/action-plan/reached-goals", 200, "Mark a goal reached")
async def mark_goal_reached(
    duo_id: uuid.UUID,
    body: bodies.GoalReached,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A goal of the plan reached (ActionPlanGoalReached), once."""
    command = commands.MarkGoalReached(duo_id, body.goal, body.reached_on)
    return await _run(request, identity, command, 200, body, idempotency_key, if_match)


@_post("/{duo_id}/jobs", 201, "Record a job found")
async def record_job_found(
    duo_id: uuid.UUID,
    body: bodies.Job,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A job the mentee started (JobFound), with a new job_id for its end or extension. Whether it is
    sustainable is reporting's decision, under a versioned definition. Open until 12 months after the end."""
    command = commands.RecordJobFound(
        duo_id,
        uuid.uuid4(),
        body.sector,
        body.contract_type,
        body.contract_months,
        body.hours_per_week,
        body.started_on,
    )
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/jobs/{job_id}/end", 200, "Record a job's end")
async def record_job_ended(
    duo_id: uuid.UUID,
    job_id: uuid.UUID,
    body: bodies.JobEnd,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A recorded job ended (JobEnded), once."""
    command = commands.RecordJobEnded(duo_id, job_id, body.ended_on)
    return await _run(request, identity, command, 200, body, idempotency_key, if_match)


@_post("/{duo_id}/jobs/{job_id}/extension", 200, "Record a contract extension")
async def extend_contract(
    duo_id: uuid.UUID,
    job_id: uuid.UUID,
    body: bodies.Extension,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """A running fixed-term contract extended to a longer total length (ContractExtended)."""
    command = commands.ExtendContract(duo_id, job_id, body.contract_months, body.extended_on)
    return await _run(request, identity, command, 200, body, idempotency_key, if_match)


@_post("/{duo_id}/trainings", 201, "Record a training started")
async def record_training_started(
    duo_id: uuid.UUID,
    body: bodies.Training,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee started a training (TrainingStarted). Open until 12 months after the end."""
    command = commands.RecordTrainingStarted(duo_id, body.started_on, body.qualifying)
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/internships", 201, "Record an internship started")
async def record_internship_started(
    duo_id: uuid.UUID,
    body: bodies.Internship,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee started an internship (InternshipStarted). Open until 12 months after the end."""
    command = commands.RecordInternshipStarted(duo_id, body.started_on)
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/surveys/mentee", 201, "Record the mentee's survey")
async def record_mentee_survey(
    duo_id: uuid.UUID,
    body: bodies.MenteeSurvey,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee's closing survey (MenteeSurveyRecorded), once, before the duo ends."""
    command = commands.RecordMenteeSurvey(
        duo_id, body.more_self_confidence, body.more_autonomous_job_search, body.mentor_helped_with_problems
    )
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/surveys/mentor", 201, "Record the mentor's survey")
async def record_mentor_survey(
    duo_id: uuid.UUID,
    body: bodies.MentorSurvey,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentor's closing survey (MentorSurveyRecorded), once, before the duo ends."""
    command = commands.RecordMentorSurvey(duo_id, body.feels_useful, body.adds_professional_value)
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/end", 200, "End the duo")
async def end_duo(
    duo_id: uuid.UUID,
    body: bodies.Ending,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The end of the mentoring (DuoEnded), with a coded reason: matching returns the mentor to the pool.
    The follow-ups at 3, 6 and 12 months become due from then on."""
    command = commands.EndDuo(duo_id, body.ended_on, body.reason)
    return await _run(request, identity, command, 200, body, idempotency_key, if_match)


@_post("/{duo_id}/follow-ups", 201, "Record a follow-up")
async def record_follow_up(
    duo_id: uuid.UUID,
    body: bodies.FollowUp,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentee's employment status 3, 6 or 12 months after the end (FollowUpRecorded): each once, from its
    due day for 3 months."""
    command = commands.RecordFollowUp(duo_id, body.months, body.status)
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/referrals", 201, "Record a referral to a partner")
async def refer_mentee(
    duo_id: uuid.UUID,
    body: bodies.Referral,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """The mentor referred the mentee to a partner of the branch (MenteeReferred), with a new referral_id for its
    outcome; `accompanied` when the mentor went along to the appointment. 422 for a partner the branch does not
    have, 409 once the duo ended."""
    command = commands.ReferMentee(duo_id, uuid.uuid4(), body.partner_id, body.referred_on, body.accompanied)
    return await _run(request, identity, command, 201, body, idempotency_key, if_match)


@_post("/{duo_id}/referrals/{referral_id}/outcome", 200, "Record a referral's outcome")
async def record_referral_outcome(
    duo_id: uuid.UUID,
    referral_id: uuid.UUID,
    body: bodies.ReferralOutcomeBody,
    request: Request,
    identity: Coordinator,
    idempotency_key: IdempotencyHeader = None,
    if_match: IfMatchHeader = None,
) -> JSONResponse:
    """What became of a referral (ReferralOutcomeRecorded), once; open until 12 months after the duo's end."""
    command = commands.RecordReferralOutcome(duo_id, referral_id, body.outcome)
    return await _run(request, identity, command, 200, body, idempotency_key, if_match)
