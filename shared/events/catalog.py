"""The catalog: every domain event the services exchange, one frozen model per type.

Events that leave a service carry what others need to match and count (ids,
office, sector, languages, availability, age band), never names, contact details
or exact birth dates: those stay in intake (see docs/adr/0006).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.event import DomainEvent
from shared.events.registry import EVENT_REGISTRY
from shared.nace import NaceSection

# --- Intake (services/intake) ----------------------------------------------------------

# Age at the time of the fact, in bands: exact birth dates stay in intake. The bands are derived from the
# branch's rules in force (services/intake/domain/rules.py, docs/domain.md): the shared bands under-18, 18-24,
# 25-29, 30-34, 35-49, 50-54, ..., 70+, split at the branch's own age limits so that no band holds both
# eligible and ineligible ages (BE, 18 to 33: 30-33 and 34). A one-year band is named by its age ("34").
AgeBand = Annotated[
    str,
    Field(
        pattern=r"^(under-[0-9]{1,3}|[0-9]{1,3}|[0-9]{1,3}-[0-9]{1,3}|[0-9]{1,3}\+)$",
        description="an age band: under-N, N, N-M (both included) or N+",
        examples=["30-33"],
    ),
]
# The rules version of every decision recorded before the rules became versioned data: their values are
# version "2024.1" of each branch's file (services/intake/rules/), so old events load with it.
RULES_VERSION_BEFORE_VERSIONING = "2024.1"
RulesVersion = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="the version of the branch's eligibility rules the decision applied (GET /rules)",
        examples=["2024.1"],
    ),
]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, lower case", examples=["nl"])]
DayPart = Annotated[
    str,
    Field(
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun)-(morning|afternoon|evening)$",
        description="a part of a weekday when the person can meet",
        examples=["tue-evening"],
    ),
]
EligibilityRule = Literal[
    "min_age",
    "max_age",
    "non_eu_background",
    "long_term_residence_permit",
    "programme_language",
    "professional_experience",
]
Consent = Literal["data_processing", "voluntary_participation"]
WithdrawalReason = Literal[
    "found_work",
    "started_training",
    "moved_away",
    "personal_circumstances",
    "health",
    "no_longer_interested",
    "unreachable",
    "other",
]
# The intake interview's outcome, and the coded reason a mentee is not (yet) taken on (docs/domain.md).
InterviewOutcome = Literal["suitable", "not_now", "not_suitable"]
InterviewReason = Literal[
    "language_level",
    "not_job_seeking",
    "needs_other_support_first",
    "availability",
    "expectations_mismatch",
    "personal_circumstances",
    "other",
]
# Shared with tracking's JobFound: a job found before a duo is recorded with the same fields.
ContractType = Literal["permanent", "fixed_term", "temporary_agency", "other"]


class SectorExperience(BaseModel):
    """Years of professional experience in one NACE section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sector: NaceSection
    years: int = Field(ge=0, le=70)


@EVENT_REGISTRY.register
class MenteeApplicationRejected(DomainEvent):
    """A job seeker applied but failed one or more eligibility rules; counted, never matched."""

    application_id: uuid.UUID
    failed_rules: tuple[EligibilityRule, ...] = Field(min_length=1)
    age_band: AgeBand
    job_target_sector: NaceSection | None = None
    languages: tuple[LanguageCode, ...] = ()
    rules_version: RulesVersion = RULES_VERSION_BEFORE_VERSIONING


@EVENT_REGISTRY.register
class MenteeRegistered(DomainEvent):
    """A job seeker was found eligible, consented, and registered as a mentee: not yet matchable, the
    information session and the intake interview come first (MenteeReadyForMatching)."""

    mentee_id: uuid.UUID
    job_target_sector: NaceSection | None = None
    languages: tuple[LanguageCode, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[DayPart, ...] = ()
    age_band: AgeBand | None = None
    consents: tuple[Consent, ...] = ()
    rules_version: RulesVersion = RULES_VERSION_BEFORE_VERSIONING


@EVENT_REGISTRY.register
class MenteeProfileChanged(DomainEvent):
    """Some of a mentee's matching data changed; a field left None did not change.

    `changed_fields` also names changes kept in intake's personal data (the free-text
    occupation), so the history shows that they happened without saying what they are.
    """

    mentee_id: uuid.UUID
    changed_fields: tuple[str, ...] = Field(min_length=1)
    job_target_sector: NaceSection | None = None
    languages: tuple[LanguageCode, ...] | None = None
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[DayPart, ...] | None = None


@EVENT_REGISTRY.register
class InformationSessionAttended(DomainEvent):
    """A mentee attended the programme's information session: the first step before matching."""

    mentee_id: uuid.UUID
    attended_on: date


@EVENT_REGISTRY.register
class IntakeInterviewHeld(DomainEvent):
    """The intake interview with a mentee was held: suitable, not now, or not suitable (with a coded reason).
    A mentee told "not now" may have another interview later."""

    mentee_id: uuid.UUID
    held_on: date
    outcome: InterviewOutcome
    reason: InterviewReason | None = None


@EVENT_REGISTRY.register
class MenteeReadyForMatching(DomainEvent):
    """Both steps are done and the interview found the mentee suitable: matching may propose them."""

    mentee_id: uuid.UUID


@EVENT_REGISTRY.register
class MenteeWithdrawn(DomainEvent):
    """A mentee left the programme."""

    mentee_id: uuid.UUID
    reason: WithdrawalReason


@EVENT_REGISTRY.register
class MenteeOutcomeBeforeDuo(DomainEvent):
    """A mentee withdrew because of an outcome reached before any duo: a job (JobFound's fields) or a
    training (TrainingStarted's fields). Recorded apart from tracking's outcomes, so that reporting can
    count or exclude it explicitly. Appended just before the MenteeWithdrawn it explains."""

    mentee_id: uuid.UUID
    kind: Literal["job", "training"]
    started_on: date
    sector: NaceSection | None = Field(default=None, description="job only, and then required")
    contract_type: ContractType | None = Field(default=None, description="job only, and then required")
    contract_months: int | None = Field(default=None, ge=1, le=120, description="fixed_term only, and then required")
    hours_per_week: float | None = Field(default=None, gt=0, le=60, description="job only, and then required")
    qualifying: bool | None = Field(default=None, description="training only, and then required")


# The mentee target groups the memorandum names (docs/domain.md, section 1): young people not in employment,
# education or training (NEET) and the long-term unemployed, with the time since the last job as a band, never a date.
TimeSinceLastJob = Literal["never_worked", "under_6_months", "6_to_12_months", "12_to_24_months", "24_months_or_more"]


@EVENT_REGISTRY.register
class MenteeTargetGroupRecorded(DomainEvent):
    """The mentee's target-group facts, recorded only with the mentee's consent to them (without it, nothing is
    recorded and the figures count the mentee as unknown). Reported as counts only (docs/reporting.md)."""

    mentee_id: uuid.UUID
    neet: bool
    long_term_unemployed: bool
    time_since_last_job: TimeSinceLastJob


@EVENT_REGISTRY.register
class MenteeTargetGroupConsentWithdrawn(DomainEvent):
    """The mentee withdrew their consent to the target-group facts: from then on they are unknown again."""

    mentee_id: uuid.UUID


@EVENT_REGISTRY.register
class MenteeRejoined(DomainEvent):
    """A mentee who had withdrawn came back on the same id, eligible again under the rules in force. They go
    through the intake interview again before matching (the information session they attended still counts)."""

    mentee_id: uuid.UUID
    age_band: AgeBand
    rules_version: RulesVersion


@EVENT_REGISTRY.register
class MentorRegistered(DomainEvent):
    """A volunteer aged 50 or more registered as a mentor; matchable only after training."""

    mentor_id: uuid.UUID
    sectors: tuple[NaceSection, ...] = ()  # the sectors of `experience`, for consumers that need no years
    experience: tuple[SectorExperience, ...] = ()
    languages: tuple[LanguageCode, ...] = ()
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[DayPart, ...] = ()
    capacity: int = Field(default=1, ge=1, le=10)
    age_band: AgeBand | None = None
    consents: tuple[Consent, ...] = ()
    rules_version: RulesVersion = RULES_VERSION_BEFORE_VERSIONING


@EVENT_REGISTRY.register
class MentorApplicationRejected(DomainEvent):
    """A volunteer applied as a mentor but failed one or more eligibility rules; counted, never matched."""

    application_id: uuid.UUID
    failed_rules: tuple[EligibilityRule, ...] = Field(min_length=1)
    age_band: AgeBand
    sectors: tuple[NaceSection, ...] = ()
    languages: tuple[LanguageCode, ...] = ()
    rules_version: RulesVersion


@EVENT_REGISTRY.register
class MentorProfileChanged(DomainEvent):
    """Some of a mentor's matching data changed; a field left None did not change."""

    mentor_id: uuid.UUID
    changed_fields: tuple[str, ...] = Field(min_length=1)
    sectors: tuple[NaceSection, ...] | None = None
    experience: tuple[SectorExperience, ...] | None = None
    languages: tuple[LanguageCode, ...] | None = None
    weekly_availability_hours: float | None = None
    available_day_parts: tuple[DayPart, ...] | None = None
    capacity: int | None = Field(default=None, ge=1, le=10)


@EVENT_REGISTRY.register
class MentorTrainingModuleCompleted(DomainEvent):
    """A mentor completed one of the eight half-day training modules."""

    mentor_id: uuid.UUID
    module: str
    completed_on: date


@EVENT_REGISTRY.register
class MentorTrainingCompleted(DomainEvent):
    """A mentor finished all eight half-day training modules and can be matched."""

    mentor_id: uuid.UUID


@EVENT_REGISTRY.register
class MentorWithdrawn(DomainEvent):
    """A mentor left the programme."""

    mentor_id: uuid.UUID
    reason: WithdrawalReason


@EVENT_REGISTRY.register
class MentorRejoined(DomainEvent):
    """A mentor who had withdrawn came back on the same id, eligible again under the rules in force; their
    completed training still counts."""

    mentor_id: uuid.UUID
    age_band: AgeBand
    rules_version: RulesVersion


# A mentor's work situation (docs/domain.md, section 1): the memorandum's mentor survey counts among the mentors
# still working ("nog werkende mentoren"), employed or self-employed.
MentorEmploymentStatus = Literal["employed", "self_employed", "retired", "job_seeking", "other"]
STILL_WORKING: tuple[MentorEmploymentStatus, ...] = ("employed", "self_employed")


@EVENT_REGISTRY.register
class MentorEmploymentRecorded(DomainEvent):
    """A mentor's employment status, as recorded at intake or when it changed; `employer_released` when their
    employer gives them time for the mentoring (employer-supported volunteering). The employer's name stays in
    intake, with the mentor's personal data (docs/adr/0030)."""

    mentor_id: uuid.UUID
    status: MentorEmploymentStatus
    employer_released: bool = False


ErasureReason = Literal["data_subject_request", "consent_withdrawn", "retention_period_ended", "unlawfully_processed"]


@EVENT_REGISTRY.register
class PersonalDataErased(DomainEvent):
    """A mentee's or mentor's personal data was erased (GDPR art. 17). Their facts stay, anonymous:
    the stream id is random and nothing links it to a person any more."""

    person_id: uuid.UUID
    kind: Literal["mentee", "mentor"]
    reason: ErasureReason


# --- Matching (services/matching) --------------------------------------------------------


Side = Literal["mentee", "mentor"]
DeclineReason = Literal[
    "no_personal_click",
    "availability",
    "sector_mismatch",
    "language",
    "distance",
    "expectations",
    "personal_circumstances",
    "found_work",
    "other",
]


@EVENT_REGISTRY.register
class MatchProposed(DomainEvent):
    """A coordinator (or a matching round) proposed a mentee and a mentor to each other, with the score and why."""

    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    round_id: uuid.UUID | None = None
    score: float = Field(ge=0, le=1)
    terms: dict[str, float]
    config_version: str
    expires_on: date


@EVENT_REGISTRY.register
class FirstMeetingScheduled(DomainEvent):
    """The proposed duo's first meeting, where both decide, was set for a day."""

    proposal_id: uuid.UUID
    meeting_on: date


@EVENT_REGISTRY.register
class MatchAccepted(DomainEvent):
    """After the first meeting, one side said yes."""

    proposal_id: uuid.UUID
    side: Side


@EVENT_REGISTRY.register
class MatchDeclined(DomainEvent):
    """After the first meeting, one side said no: this pair is never proposed again."""

    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    side: Side
    reason: DeclineReason


@EVENT_REGISTRY.register
class MatchExpired(DomainEvent):
    """Nobody answered in time: both people return to the pool."""

    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID


@EVENT_REGISTRY.register
class DuoFormed(DomainEvent):
    """Both accepted after the first meeting: the duo exists. Its office is the mentee's (in the envelope)."""

    duo_id: uuid.UUID
    proposal_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    province: str | None
    job_target_sector: NaceSection
    formed_on: date
    days_to_match: int = Field(ge=0, description="days from the mentee's registration to the duo")
    score: float = Field(ge=0, le=1)
    config_version: str


# --- Tracking (services/tracking) --------------------------------------------------------

# The codes tracking's events use; each list is documented in docs/tracking.md.
MeetingMode = Literal["in_person", "online", "phone"]
MeetingTopic = Literal[
    "job_search",
    "cv_and_applications",
    "interview_preparation",
    "administration",
    "social",
    "health",
    "finance",
    "digital_skills",
    "housing",
    "legal",
    "training",
    "network",
]
GoalType = Literal[
    "find_job_in_sector",
    "improve_language",
    "get_diploma_recognised",
    "build_network",
    "cv_ready",
    "interview_skills",
    "digital_skills",
    "other",
]
EndReason = Literal["completed", "mentee_found_work", "stopped_by_mentee", "stopped_by_mentor", "lost_contact", "other"]
EmploymentStatus = Literal["employed", "in_training", "job_seeking", "other"]
FollowUpMonths = Literal[3, 6, 12]
# The organisations duos work with (docs/tracking.md, docs/adr/0029): the memorandum's "ecosysteem van openbare
# diensten en lokale verenigingen" (public services and local associations), and employers.
PartnerKind = Literal[
    "public_employment_service",
    "social_welfare_service",
    "integration_service",
    "other_public_service",
    "local_association",
    "training_provider",
    "employer",
]
# What became of a referral, as the duo later reports it.
ReferralOutcome = Literal[
    "support_received", "waiting_list", "not_eligible", "did_not_attend", "declined_by_mentee", "other"
]


@EVENT_REGISTRY.register
class MeetingLogged(DomainEvent):
    """A duo met on a date, for a duration, in person, online or by phone, about topics from the fixed list."""

    duo_id: uuid.UUID
    met_on: date
    duration_minutes: int = Field(ge=1, le=600)
    mode: MeetingMode
    topics: tuple[MeetingTopic, ...] = Field(min_length=1)


@EVENT_REGISTRY.register
class ActionPlanDrawnUp(DomainEvent):
    """The duo drew up the mentee's career action plan: coded goals only, never free text."""

    duo_id: uuid.UUID
    drawn_up_on: date
    goals: tuple[GoalType, ...] = Field(min_length=1)


@EVENT_REGISTRY.register
class ActionPlanGoalReached(DomainEvent):
    """One goal of the action plan was reached."""

    duo_id: uuid.UUID
    goal: GoalType
    reached_on: date


@EVENT_REGISTRY.register
class JobFound(DomainEvent):
    """The mentee started a job. Whether it counts as sustainable is decided by reporting, under a
    versioned definition, from the contract type and length: it is never stored here."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    mentee_id: uuid.UUID
    sector: NaceSection
    contract_type: ContractType
    contract_months: int | None = Field(default=None, ge=1, le=120, description="fixed_term only, and then required")
    hours_per_week: float = Field(gt=0, le=60)
    started_on: date


@EVENT_REGISTRY.register
class JobEnded(DomainEvent):
    """A job recorded with JobFound ended."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    mentee_id: uuid.UUID
    ended_on: date


@EVENT_REGISTRY.register
class ContractExtended(DomainEvent):
    """A fixed-term job's contract was extended: `contract_months` is its new total length."""

    duo_id: uuid.UUID
    job_id: uuid.UUID
    mentee_id: uuid.UUID
    contract_months: int = Field(ge=1, le=120)
    extended_on: date


@EVENT_REGISTRY.register
class TrainingStarted(DomainEvent):
    """The mentee started a training; a qualifying one counts as a positive exit."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    started_on: date
    qualifying: bool


@EVENT_REGISTRY.register
class InternshipStarted(DomainEvent):
    """The mentee started an internship."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    started_on: date


@EVENT_REGISTRY.register
class MenteeSurveyRecorded(DomainEvent):
    """The mentee's answers to the closing survey (once per duo)."""

    duo_id: uuid.UUID
    more_self_confidence: bool
    more_autonomous_job_search: bool
    mentor_helped_with_problems: bool


@EVENT_REGISTRY.register
class MentorSurveyRecorded(DomainEvent):
    """The mentor's answers to the closing survey (once per duo)."""

    duo_id: uuid.UUID
    feels_useful: bool
    adds_professional_value: bool


@EVENT_REGISTRY.register
class DuoEnded(DomainEvent):
    """A duo's mentoring ended, with a coded reason. The mentor may start another duo; the mentee leaves the pool."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    mentor_id: uuid.UUID
    ended_on: date
    reason: EndReason


@EVENT_REGISTRY.register
class FollowUpRecorded(DomainEvent):
    """The mentee's employment status 3, 6 or 12 months after the duo ended (each once)."""

    duo_id: uuid.UUID
    mentee_id: uuid.UUID
    months: FollowUpMonths
    status: EmploymentStatus
    recorded_on: date


# --- The branch's money and its history before the platform (services/tracking, docs/adr/0026) -----------

# Money is integer euro cents, never a float: a sum of cents is exact, and a figure is an amount, not a guess.
Cents = Annotated[int, Field(ge=0, le=10**13, description="an amount in cents of the currency, never negative")]
Currency = Literal["EUR"]
# A region of the branch, as its offices name it (shared/tenancy.OFFICES): Flanders, Brussels, Wallonia in BE.
RegionName = Annotated[str, Field(min_length=1, max_length=60, examples=["Brussels"])]
BooksYear = Annotated[int, Field(ge=2000, le=2100, description="the calendar year the amount is for")]


class MoneyFigureRecorded(DomainEvent):
    """A money figure of one region of the branch and one year, as it now stands: a later one of the same type,
    region and year replaces it (a correction or an update is a new figure, never a change to an old event).
    Not registered itself: each kind of figure below is its own event type."""

    region: RegionName
    year: BooksYear
    amount_cents: Cents
    currency: Currency = "EUR"


@EVENT_REGISTRY.register
class BudgetSet(MoneyFigureRecorded):
    """The region's budget for the year."""


@EVENT_REGISTRY.register
class CostsPlanned(MoneyFigureRecorded):
    """The costs the region plans for the year."""


@EVENT_REGISTRY.register
class ActualCostsRecorded(MoneyFigureRecorded):
    """The costs the region actually incurred in the year, to date."""


@EVENT_REGISTRY.register
class SubsidyRequested(MoneyFigureRecorded):
    """The subsidy requested from the region's authorities for the year."""


@EVENT_REGISTRY.register
class SubsidyGranted(MoneyFigureRecorded):
    """The subsidy the region's authorities granted for the year."""


@EVENT_REGISTRY.register
class SubsidyReceived(MoneyFigureRecorded):
    """The subsidy for the year actually received, to date."""


MONEY_FIGURES: dict[str, type[MoneyFigureRecorded]] = {
    "budget": BudgetSet,
    "planned_costs": CostsPlanned,
    "actual_costs": ActualCostsRecorded,
    "subsidy_requested": SubsidyRequested,
    "subsidy_granted": SubsidyGranted,
    "subsidy_received": SubsidyReceived,
}
OpeningCount = Annotated[int | None, Field(ge=0, le=10**7)]


@EVENT_REGISTRY.register
class OpeningFiguresRecorded(DomainEvent):
    """What a region of the branch achieved before the platform, over a period of whole years (an opening
    balance): reported apart from the platform's own facts, never added to them. A count left None was not
    stated. A later one for the same region and period replaces it."""

    region: RegionName
    first_year: BooksYear
    last_year: BooksYear
    duos_formed: OpeningCount = None
    positive_exits: OpeningCount = None
    sustainable_jobs: OpeningCount = None
    active_mentors: OpeningCount = Field(default=None, description="mentors active at the end of the last year")
    source: str = Field(
        min_length=1, max_length=200, description="the title of the document the figures come from, never a name"
    )


@EVENT_REGISTRY.register
class PartnerRegistered(DomainEvent):
    """A coordinator registered an organisation of the branch that duos work with: a public service, a local
    association, an employer. Its kind only: its name stays in tracking's partner table (docs/adr/0029)."""

    partner_id: uuid.UUID
    kind: PartnerKind


@EVENT_REGISTRY.register
class MenteeReferred(DomainEvent):
    """The mentor referred the mentee to a partner (a public service, a local association, an employer), and
    perhaps went with them to the appointment: the mentor's support role."""

    duo_id: uuid.UUID
    referral_id: uuid.UUID
    mentee_id: uuid.UUID
    partner_id: uuid.UUID
    partner_kind: PartnerKind
    referred_on: date
    accompanied: bool = Field(description="the mentor went with the mentee to the appointment")


@EVENT_REGISTRY.register
class ReferralOutcomeRecorded(DomainEvent):
    """What became of a referral (once per referral), recorded later."""

    duo_id: uuid.UUID
    referral_id: uuid.UUID
    mentee_id: uuid.UUID
    partner_id: uuid.UUID
    partner_kind: PartnerKind
    outcome: ReferralOutcome
    recorded_on: date


# The context that publishes each event, and so the topic it travels on (deploy/topics.toml).
PRODUCERS: dict[str, tuple[type[DomainEvent], ...]] = {
    "intake": (
        MenteeApplicationRejected,
        MenteeRegistered,
        MenteeProfileChanged,
        InformationSessionAttended,
        IntakeInterviewHeld,
        MenteeReadyForMatching,
        MenteeOutcomeBeforeDuo,
        MenteeWithdrawn,
        MenteeRejoined,
        MenteeTargetGroupRecorded,
        MenteeTargetGroupConsentWithdrawn,
        MentorApplicationRejected,
        MentorRegistered,
        MentorProfileChanged,
        MentorTrainingModuleCompleted,
        MentorTrainingCompleted,
        MentorWithdrawn,
        MentorRejoined,
        MentorEmploymentRecorded,
        PersonalDataErased,
    ),
    "matching": (MatchProposed, FirstMeetingScheduled, MatchAccepted, MatchDeclined, MatchExpired, DuoFormed),
    "tracking": (
        MeetingLogged,
        ActionPlanDrawnUp,
        ActionPlanGoalReached,
        JobFound,
        JobEnded,
        ContractExtended,
        TrainingStarted,
        InternshipStarted,
        MenteeSurveyRecorded,
        MentorSurveyRecorded,
        DuoEnded,
        FollowUpRecorded,
        *MONEY_FIGURES.values(),
        OpeningFiguresRecorded,
        PartnerRegistered,
        MenteeReferred,
        ReferralOutcomeRecorded,
    ),
}
