"""The definitions the figures are computed under: named, versioned, chosen per branch, stated with every figure.
Pure.

A definition is never edited once figures have been published under it: a change is a new version, and a caller
may ask for any version still listed here (docs/reporting.md). Each branch chooses, from a date, the version of each
figure its own figures use (services/reporting/definitions/<BRANCH>.toml, read at the edge); a figure as of a day
uses the choice in force on that day, so a figure once stated is stated again the same (docs/adr/0027).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from services.reporting.domain.membership import Absence, in_programme

OUTCOME_WINDOW_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass(frozen=True)
class PositiveExit:
    """A mentee of an ended duo who started a job, a training or an internship counts as a positive exit."""

    name: str
    version: int
    anchor: Literal["end", "start"]  # the 12 months are counted from the duo's end, or from its start
    qualifying_only: bool  # a training counts only when it is qualifying (any training: False)
    from_formation: bool  # nothing started before the duo formed counts (no lower bound: False)
    text: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.name}/v{self.version}"

    def counts(self, formed_on: date, ended_on: date, started_on: date, training: bool, qualifying: bool) -> bool:
        """Whether an outcome started on `started_on` (a training: `training`, and whether it qualifies) counts."""
        if training and self.qualifying_only and not qualifying:
            return False
        if self.from_formation and started_on < formed_on:
            return False
        anchor = ended_on if self.anchor == "end" else formed_on
        return started_on <= add_months(anchor, OUTCOME_WINDOW_MONTHS)


POSITIVE_EXITS = {
    d.key: d
    for d in (
        PositiveExit(
            "positive-exit",
            1,
            "end",
            False,
            False,
            "mentees of duos that ended, who started a job, a training or an internship during the duo or within "
            "12 months after it ended, over the mentees of duos that ended",
            "the organisation's impact pages: a job, an internship or a qualifying training within 12 months after "
            "the duo ends (this version counted any training and had no lower bound)",
        ),
        PositiveExit(
            "positive-exit",
            2,
            "end",
            True,
            True,
            "mentees of duos that ended, who started a job, a qualifying training or an internship during the duo "
            "(from the day it formed) or within 12 months after it ended, over the mentees of duos that ended",
            "the organisation's impact pages: a job, an internship or a qualifying training within 12 months after "
            "the duo ends; the memorandum: 7 in 10 find a job, a training or an internship",
        ),
        PositiveExit(
            "positive-exit-from-start",
            1,
            "start",
            True,
            True,
            "mentees of duos that ended, who started a job, a qualifying training or an internship within 12 months "
            "of the duo's formation (not before it), over the mentees of duos that ended",
            "a French-branch success story (reseau-alliances.org, DUO for a JOB Lille): 12 months counted from the "
            "start of the mentoring",
        ),
    )
}


@dataclass(frozen=True)
class SustainableWork:
    """A job counts as sustainable work under this definition."""

    name: str
    version: int
    min_months: int  # a fixed-term (or, when `agency`, agency) contract of at least this many months counts
    strictly_more: bool  # True: more than `min_months`; False: `min_months` or more
    source: str
    agency: bool = True  # a temporary-agency contract counts as a fixed-term one (False: it never counts)
    from_formation: bool = False  # a job started before the duo formed does not count (no lower bound: False)

    @property
    def key(self) -> str:
        return f"{self.name}/v{self.version}"

    def counts(self, contract_type: str, months: int | None) -> bool:
        if contract_type == "permanent":
            return True
        kinds = ("fixed_term", "temporary_agency") if self.agency else ("fixed_term",)
        if contract_type not in kinds or months is None:
            return False
        return months > self.min_months if self.strictly_more else months >= self.min_months

    def counts_job(
        self, formed_on: date, ended_on: date, started_on: date, contract_type: str, months: int | None
    ) -> bool:
        """Whether a job of a duo that ended counts: started in the window, under a contract that counts."""
        if self.from_formation and started_on < formed_on:
            return False
        in_window = started_on <= add_months(ended_on, OUTCOME_WINDOW_MONTHS)
        return in_window and self.counts(contract_type, months)


_MEMORANDUM = "the memorandum (2024), footnote 1: at least a fixed-term contract of more than 3 months"
_PUBLISHED = "the organisation's impact pages: a permanent contract or a fixed-term contract of three months or more"
_WINDOW = "; during the duo (from the day it formed) or within 12 months after it ended"
SUSTAINABLE_WORK = {
    d.key: d
    for d in (
        SustainableWork(
            "sustainable-work-memorandum",
            1,
            3,
            True,
            "the memorandum (2024): a job with at least a fixed-term contract of more than 3 months",
        ),
        SustainableWork(
            "sustainable-work-published",
            1,
            3,
            False,
            "the organisation's published definition: a permanent contract or a fixed-term contract "
            "of three months or more",
        ),
        SustainableWork(
            "sustainable-work-memorandum",
            2,
            3,
            True,
            _MEMORANDUM
            + "; a temporary-agency contract does not count (the footnote names fixed-term contracts only)"
            + _WINDOW,
            agency=False,
            from_formation=True,
        ),
        SustainableWork(
            "sustainable-work-published",
            2,
            3,
            False,
            _PUBLISHED + "; a temporary-agency contract does not count" + _WINDOW,
            agency=False,
            from_formation=True,
        ),
        SustainableWork(
            "sustainable-work-agency",
            1,
            3,
            False,
            _PUBLISHED
            + "; a temporary-agency contract counts as a fixed-term one, for a branch whose rule says so"
            + _WINDOW,
            agency=True,
            from_formation=True,
        ),
    )
}
DEFAULT_SUSTAINABLE_WORK = "sustainable-work-memorandum/v1"


@dataclass(frozen=True)
class MentorRetention:
    """A mentor whose first duo ended counts as retained under this definition."""

    name: str
    version: int
    window_months: int | None  # the observation window after the first duo's end (None: no window, version 1)
    text: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.name}/v{self.version}"

    def counted(
        self, first_ended_on: date, others_formed_on: list[date], out: Sequence[Absence], as_of: date
    ) -> tuple[bool, bool]:
        """(in the base, retained) for a mentor whose first duo ended on `first_ended_on`, whose other duos formed
        on `others_formed_on`, out of the programme during `out` (withdrawn until back, or for good), as of
        `as_of`."""
        if self.window_months is None:
            return True, bool(others_formed_on)
        until = add_months(first_ended_on, self.window_months)
        if until > as_of:
            return False, False  # censored: too soon to tell whether they stay
        stayed = in_programme(out, until)
        return True, stayed or any(first_ended_on <= day <= until for day in others_formed_on)


RETENTION_WINDOW_MONTHS = 3
MENTOR_RETENTIONS = {
    d.key: d
    for d in (
        MentorRetention(
            "mentor-retention",
            1,
            None,
            "mentors whose first duo ended and who formed another duo, over mentors whose first duo ended",
            "an operational reading of the memorandum's cover (an assumption, replaced by version 2)",
        ),
        MentorRetention(
            "mentor-retention",
            2,
            RETENTION_WINDOW_MONTHS,
            f"mentors whose first duo ended at least {RETENTION_WINDOW_MONTHS} months ago and who stayed in the "
            f"programme: not withdrawn {RETENTION_WINDOW_MONTHS} months after that end (available again or in "
            "another duo), or who formed another duo within those months; over mentors whose first duo ended at "
            f"least {RETENTION_WINDOW_MONTHS} months ago (those whose first duo ended later are left out: censored)",
            "the memorandum (2024), cover: 9 in 10 mentors stay in the programme after their first mentorship",
        ),
    )
}


@dataclass(frozen=True)
class Chosen:
    """The versions a set of figures is computed under: a branch's choice on a day, or what a caller asked for."""

    positive_exit: str = "positive-exit/v1"
    sustainable_work: str = DEFAULT_SUSTAINABLE_WORK
    mentor_retention: str = "mentor-retention/v1"

    def __post_init__(self) -> None:
        for name, known in (
            ("positive_exit", POSITIVE_EXITS),
            ("sustainable_work", SUSTAINABLE_WORK),
            ("mentor_retention", MENTOR_RETENTIONS),
        ):
            if getattr(self, name) not in known:
                raise KeyError(f"{name}: unknown definition {getattr(self, name)!r}; one of {', '.join(known)}")

    @property
    def positive(self) -> PositiveExit:
        return POSITIVE_EXITS[self.positive_exit]

    @property
    def work(self) -> SustainableWork:
        return SUSTAINABLE_WORK[self.sustainable_work]

    @property
    def retention(self) -> MentorRetention:
        return MENTOR_RETENTIONS[self.mentor_retention]

    def asked(self, **overrides: str | None) -> Chosen:
        """These versions, with those a caller asked for instead (None: not asked)."""
        return replace(self, **{name: key for name, key in overrides.items() if key is not None})

    def stated(self) -> dict[str, str]:
        return {
            "positive_exit": self.positive_exit,
            "sustainable_work": self.sustainable_work,
            "mentor_retention": self.mentor_retention,
        }


CHOSEN_BEFORE_BRANCHES_CHOSE = Chosen()  # the versions every branch used before each chose its own


def chosen(definitions: Chosen | str | None) -> Chosen:
    """The versions asked for: a set, or a sustainable-work key alone (the first parameter there was), or None
    (the versions every branch used before each chose its own)."""
    if definitions is None:
        return CHOSEN_BEFORE_BRANCHES_CHOSE
    if isinstance(definitions, str):
        return Chosen(sustainable_work=definitions)
    return definitions


@dataclass(frozen=True)
class BranchChoice:
    """One version of a branch's choice of definitions, in force from `valid_from` until the next one's date."""

    branch: str
    version: str
    valid_from: date
    definitions: Chosen
    note: str = ""


@dataclass(frozen=True)
class DefinitionChoices:
    """Every branch's choices. Figures as of a day use the choice in force on that day in their branch."""

    versions: tuple[BranchChoice, ...] = field(default_factory=tuple)

    def in_force(self, branch: str, day: date) -> BranchChoice | None:
        dated = [v for v in self.versions if v.branch == branch and v.valid_from <= day]
        return max(dated, key=lambda v: v.valid_from, default=None)

    def for_branch(self, branch: str, day: date) -> Chosen:
        """The definitions the branch's figures as of `day` use (before its first choice: those used then)."""
        choice = self.in_force(branch, day)
        return choice.definitions if choice is not None else CHOSEN_BEFORE_BRANCHES_CHOSE


@dataclass(frozen=True)
class Definition:
    """A figure's definition as stated in the output."""

    key: str
    text: str


POSITIVE_EXIT = Definition(POSITIVE_EXITS["positive-exit/v1"].key, POSITIVE_EXITS["positive-exit/v1"].text)
MENTOR_RETENTION = Definition(
    MENTOR_RETENTIONS["mentor-retention/v1"].key, MENTOR_RETENTIONS["mentor-retention/v1"].text
)
ACTIVE_MENTORS = Definition(
    "active-mentors/v1", "mentors who completed the training and had not withdrawn (or been erased) on the date"
)
TIME_TO_MATCH = Definition("time-to-match/v1", "days from the mentee's registration to the duo's formation")
INACTIVE_DUO = Definition(
    "inactive-duo/v1", "a duo not ended, with no meeting in the last 21 days (or since it formed)"
)
FOLLOW_UP_DUE = Definition(
    "follow-up-due/v1",
    "a follow-up at 3, 6 or 12 months after a duo ended, whose day has come and that is not recorded",
)
INACTIVE_AFTER_DAYS = 21
FOLLOW_UP_MONTHS = (3, 6, 12)
SUPPRESS_BELOW = 5  # in the federation's roll-up, a count under this is not shown: no figure may point at a person
