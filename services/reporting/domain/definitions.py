"""The definitions the figures are computed under: named, versioned, stated with every figure. Pure.

A definition is never edited once figures have been published under it: a change is a new
version, and a caller may ask for any version still listed here (docs/reporting.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SustainableWork:
    """A job counts as sustainable work under this definition."""

    name: str
    version: int
    min_months: int  # a fixed-term (or agency) contract of at least this many months counts
    strictly_more: bool  # True: more than `min_months`; False: `min_months` or more
    source: str

    @property
    def key(self) -> str:
        return f"{self.name}/v{self.version}"

    def counts(self, contract_type: str, months: int | None) -> bool:
        if contract_type == "permanent":
            return True
        if contract_type not in ("fixed_term", "temporary_agency") or months is None:
            return False
        return months > self.min_months if self.strictly_more else months >= self.min_months


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
    )
}
DEFAULT_SUSTAINABLE_WORK = "sustainable-work-memorandum/v1"


@dataclass(frozen=True)
class Definition:
    """A figure's definition as stated in the output."""

    key: str
    text: str


POSITIVE_EXIT = Definition(
    "positive-exit/v1",
    "mentees of duos that ended, who started a job, a training or an internship during the duo or within "
    "12 months after it ended, over the mentees of duos that ended",
)
MENTOR_RETENTION = Definition(
    "mentor-retention/v1",
    "mentors whose first duo ended and who formed another duo, over mentors whose first duo ended",
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
OUTCOME_WINDOW_MONTHS = 12
SUPPRESS_BELOW = 5  # in the federation's roll-up, a count under this is not shown: no figure may point at a person
