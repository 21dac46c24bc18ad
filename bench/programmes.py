"""Random programmes for reporting's tests: branches, offices, mentees, mentors, proposals, duos and what follows,
each fact stamped with when it happened and (sometimes much later) when it was recorded. Deterministic per seed."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import get_args

from shared.events.catalog import (
    ContractExtended,
    ContractType,
    DeclineReason,
    DuoEnded,
    DuoFormed,
    EligibilityRule,
    EmploymentStatus,
    EndReason,
    FirstMeetingScheduled,
    FollowUpMonths,
    FollowUpRecorded,
    InternshipStarted,
    JobEnded,
    JobFound,
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    MatchProposed,
    MeetingLogged,
    MeetingTopic,
    MenteeApplicationRejected,
    MenteeReadyForMatching,
    MenteeReferred,
    MenteeRegistered,
    MenteeSurveyRecorded,
    MenteeTargetGroupConsentWithdrawn,
    MenteeTargetGroupRecorded,
    MenteeWithdrawn,
    MentorEmploymentRecorded,
    MentorEmploymentStatus,
    MentorRejoined,
    MentorSurveyRecorded,
    MentorTrainingCompleted,
    MentorWithdrawn,
    PartnerKind,
    PersonalDataErased,
    ReferralOutcome,
    ReferralOutcomeRecorded,
    TimeSinceLastJob,
    TrainingStarted,
    WithdrawalReason,
)
from shared.events.envelope import DomainEvent, EventEnvelope, EventMetadata, NewEvent
from shared.tenancy import Tenant

START = date(2025, 1, 1)
SPAN_DAYS = 540
OFFICES_BY_BRANCH = {
    Tenant.BE: ("be-antwerpen", "be-mechelen", "be-gent", "be-vilvoorde", "be-brussel"),
    Tenant.NL: ("nl-amsterdam", "nl-rotterdam"),
}


class History:
    """The facts of a programme, as the services would record them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.envelopes: list[EventEnvelope] = []
        self._versions: dict[str, int] = defaultdict(int)

    def add(self, event: DomainEvent, stream: str, branch: Tenant, office: str, on: date) -> None:
        rng = self.rng
        occurred = datetime.combine(on, datetime.min.time(), UTC) + timedelta(hours=rng.randrange(24))
        # Most facts are recorded at once; some late (a batch keyed in weeks after), a few a year late.
        lag = rng.choice((timedelta(0),) * 6 + (timedelta(days=rng.randrange(1, 40)), timedelta(days=380)))
        self._versions[stream] += 1
        meta = EventMetadata(tenant=branch, office=office, actor="staff-1", occurred_at=occurred)
        self.envelopes.append(
            EventEnvelope.record(NewEvent(event, meta), stream, self._versions[stream], occurred + lag)
        )

    def day(self, after: date, most: int) -> date:
        return after + timedelta(days=self.rng.randrange(most + 1))


def random_history(seed: int, size: int = 10) -> list[EventEnvelope]:
    """A programme of about `size` mentees and half as many mentors per branch, with everything that follows."""
    h = History(random.Random(seed))
    rng = h.rng
    for branch, offices in OFFICES_BY_BRANCH.items():
        mentors = []
        for _ in range(max(1, size // 2)):
            mentor, office, trained = uuid.uuid4(), rng.choice(offices), h.day(START, SPAN_DAYS // 2)
            mentors.append((mentor, office))
            h.add(MentorTrainingCompleted(mentor_id=mentor), f"mentor-{mentor}", branch, office, trained)
            for _ in range(rng.choice((0, 1, 1, 2))):  # none recorded, recorded, or changed later
                status: MentorEmploymentStatus = rng.choice(get_args(MentorEmploymentStatus))
                released = status == "employed" and rng.random() < 0.5
                employment = MentorEmploymentRecorded(mentor_id=mentor, status=status, employer_released=released)
                h.add(employment, f"mentor-{mentor}", branch, office, h.day(START, SPAN_DAYS))
            if rng.random() < 0.25:
                reason = rng.choice(get_args(WithdrawalReason))
                withdrew = h.day(trained, 300)
                h.add(MentorWithdrawn(mentor_id=mentor, reason=reason), f"mentor-{mentor}", branch, office, withdrew)
                if rng.random() < 0.4:  # back on the same id, a while later
                    back = MentorRejoined(mentor_id=mentor, age_band="50-59", rules_version="BE-2024-1")
                    h.add(back, f"mentor-{mentor}", branch, office, h.day(withdrew, 200))
            if rng.random() < 0.1:
                erased = PersonalDataErased(person_id=mentor, kind="mentor", reason="data_subject_request")
                h.add(erased, f"mentor-{mentor}", branch, office, h.day(trained, 400))
        for _ in range(rng.randrange(3)):
            rules = tuple(rng.sample(get_args(EligibilityRule), rng.randrange(1, 3)))
            refused = MenteeApplicationRejected(application_id=uuid.uuid4(), failed_rules=rules, age_band="18-24")
            h.add(refused, f"application-{uuid.uuid4()}", branch, rng.choice(offices), h.day(START, SPAN_DAYS))
        for _ in range(size):
            _mentee(h, branch, rng.choice(offices), rng.choice(mentors))
    return h.envelopes


def _mentee(h: History, branch: Tenant, office: str, mentor: tuple[uuid.UUID, str]) -> None:
    rng = h.rng
    mentee = uuid.uuid4()
    stream = f"mentee-{mentee}"
    registered = h.day(START, SPAN_DAYS - 60)
    h.add(MenteeRegistered(mentee_id=mentee, job_target_sector="Q"), stream, branch, office, registered)
    for _ in range(rng.choice((0, 1, 1, 2))):  # no consent, the facts recorded, changed or the consent withdrawn
        if rng.random() < 0.2:
            h.add(MenteeTargetGroupConsentWithdrawn(mentee_id=mentee), stream, branch, office, h.day(registered, 90))
            continue
        since: TimeSinceLastJob = rng.choice(get_args(TimeSinceLastJob))
        group = MenteeTargetGroupRecorded(
            mentee_id=mentee,
            neet=rng.random() < 0.4,
            long_term_unemployed=since in ("12_to_24_months", "24_months_or_more") and rng.random() < 0.7,
            time_since_last_job=since,
        )
        h.add(group, stream, branch, office, h.day(registered, 90))
    if rng.random() < 0.15:
        reason = rng.choice(get_args(WithdrawalReason))
        h.add(MenteeWithdrawn(mentee_id=mentee, reason=reason), stream, branch, office, h.day(registered, 20))
        return
    ready = h.day(registered, 30)
    h.add(MenteeReadyForMatching(mentee_id=mentee), stream, branch, office, ready)
    if rng.random() < 0.2:
        return  # still waiting
    proposal, proposed = uuid.uuid4(), h.day(ready, 40)
    pstream = f"proposal-{proposal}"
    mentor_id = mentor[0]
    h.add(
        MatchProposed(
            proposal_id=proposal,
            mentee_id=mentee,
            mentor_id=mentor_id,
            score=0.7,
            terms={"sector": 1.0},
            config_version="test",
            expires_on=proposed + timedelta(days=14),
        ),
        pstream,
        branch,
        office,
        proposed,
    )
    if rng.random() < 0.7:
        h.add(
            FirstMeetingScheduled(proposal_id=proposal, meeting_on=h.day(proposed, 7)),
            pstream,
            branch,
            office,
            proposed,
        )
    if rng.random() < 0.6:
        h.add(
            MatchAccepted(proposal_id=proposal, side=rng.choice(("mentee", "mentor"))),
            pstream,
            branch,
            office,
            proposed,
        )
    fate = rng.random()
    if fate < 0.15:
        return  # the proposal stays open
    if fate < 0.25:
        reason = rng.choice(get_args(DeclineReason))
        declined = MatchDeclined(
            proposal_id=proposal, mentee_id=mentee, mentor_id=mentor_id, side="mentee", reason=reason
        )
        h.add(declined, pstream, branch, office, h.day(proposed, 10))
        return
    if fate < 0.3:
        expired = MatchExpired(proposal_id=proposal, mentee_id=mentee, mentor_id=mentor_id)
        h.add(expired, pstream, branch, office, proposed + timedelta(days=15))
        return
    _duo(h, branch, office, mentee, mentor_id, proposal, h.day(proposed, 14), (proposed - registered).days)


def _duo(
    h: History,
    branch: Tenant,
    office: str,
    mentee: uuid.UUID,
    mentor: uuid.UUID,
    proposal: uuid.UUID,
    formed: date,
    days_to_match: int,
) -> None:
    rng = h.rng
    duo = uuid.uuid4()
    formed_event = DuoFormed(
        duo_id=duo,
        proposal_id=proposal,
        mentee_id=mentee,
        mentor_id=mentor,
        province=None,
        job_target_sector="Q",
        formed_on=formed,
        days_to_match=days_to_match,
        score=0.7,
        config_version="test",
    )
    h.add(formed_event, f"proposal-{proposal}", branch, office, formed)
    stream = f"duo-{duo}"
    day = formed
    for _ in range(rng.randrange(6)):
        day = h.day(day, 30)
        topics = tuple(rng.sample(get_args(MeetingTopic), rng.randrange(1, 3)))
        meeting = MeetingLogged(
            duo_id=duo, met_on=day, duration_minutes=rng.choice((30, 60, 90)), mode="online", topics=topics
        )
        h.add(meeting, stream, branch, office, day)
    for _ in range(rng.choice((0, 0, 1, 2))):
        _referral(h, branch, office, duo, mentee, h.day(formed, 60))
    ended = h.day(formed, 240) if rng.random() < 0.7 else None
    if rng.random() < 0.5:
        job, started = uuid.uuid4(), h.day(formed - timedelta(days=60), 480)  # some before the duo formed
        contract: ContractType = rng.choice((*get_args(ContractType), "fixed_term"))
        months = rng.choice((2, 3, 4, 6)) if contract == "fixed_term" else None
        found = JobFound(
            duo_id=duo,
            job_id=job,
            mentee_id=mentee,
            sector="Q",
            contract_type=contract,
            contract_months=months,
            hours_per_week=30,
            started_on=started,
        )
        h.add(found, stream, branch, office, started)
        for _ in range(rng.randrange(3) if contract == "fixed_term" else 0):
            extended = ContractExtended(
                duo_id=duo, job_id=job, mentee_id=mentee, contract_months=rng.choice((2, 3, 4, 9)), extended_on=started
            )
            h.add(extended, stream, branch, office, h.day(started, 90))
        if rng.random() < 0.2:
            h.add(
                JobEnded(duo_id=duo, job_id=job, mentee_id=mentee, ended_on=h.day(started, 60)),
                stream,
                branch,
                office,
                started,
            )
    if rng.random() < 0.2:
        started = h.day(formed, 300)
        h.add(
            TrainingStarted(duo_id=duo, mentee_id=mentee, started_on=started, qualifying=rng.random() < 0.7),
            stream,
            branch,
            office,
            started,
        )
    if rng.random() < 0.1:
        started = h.day(formed, 300)
        h.add(InternshipStarted(duo_id=duo, mentee_id=mentee, started_on=started), stream, branch, office, started)
    if ended is None:
        return
    reason = rng.choice(get_args(EndReason))
    h.add(
        DuoEnded(duo_id=duo, mentee_id=mentee, mentor_id=mentor, ended_on=ended, reason=reason),
        stream,
        branch,
        office,
        ended,
    )
    if rng.random() < 0.6:
        survey = MenteeSurveyRecorded(
            duo_id=duo,
            more_self_confidence=rng.random() < 0.7,
            more_autonomous_job_search=rng.random() < 0.5,
            mentor_helped_with_problems=True,
        )
        h.add(survey, stream, branch, office, ended)
    if rng.random() < 0.5:
        mentor_survey = MentorSurveyRecorded(duo_id=duo, feels_useful=rng.random() < 0.8, adds_professional_value=False)
        h.add(mentor_survey, stream, branch, office, ended)
    after: FollowUpMonths
    for after in get_args(FollowUpMonths):
        if rng.random() < 0.4:
            due = ended + timedelta(days=after * 30)
            status = rng.choice(get_args(EmploymentStatus))
            follow_up = FollowUpRecorded(duo_id=duo, mentee_id=mentee, months=after, status=status, recorded_on=due)
            h.add(follow_up, stream, branch, office, due)


def _referral(h: History, branch: Tenant, office: str, duo: uuid.UUID, mentee: uuid.UUID, on: date) -> None:
    """A referral of the duo's mentee to a partner, and (mostly) its outcome later."""
    rng, stream = h.rng, f"duo-{duo}"
    referral, partner, kind = uuid.uuid4(), uuid.uuid4(), rng.choice(get_args(PartnerKind))
    referred = MenteeReferred(
        duo_id=duo,
        referral_id=referral,
        mentee_id=mentee,
        partner_id=partner,
        partner_kind=kind,
        referred_on=on,
        accompanied=rng.random() < 0.4,
    )
    h.add(referred, stream, branch, office, on)
    if rng.random() < 0.7:
        later = h.day(on, 45)
        outcome = ReferralOutcomeRecorded(
            duo_id=duo,
            referral_id=referral,
            mentee_id=mentee,
            partner_id=partner,
            partner_kind=kind,
            outcome=rng.choice(get_args(ReferralOutcome)),
            recorded_on=later,
        )
        h.add(outcome, stream, branch, office, later)
