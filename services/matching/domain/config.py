"""Matching's configuration: the weights, the sector relatedness table and the options, versioned.

A configuration is never edited once it has been in force: every proposal records the version that
scored it, so a coordinator can always see why a pair was proposed. To change anything, add a new
`MatchingConfig` with a new version to `CONFIGS` and point `CURRENT` at it (docs/matching.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from shared.nace import NACE_SECTIONS

TERMS = ("sector", "availability", "waiting")


@dataclass(frozen=True)
class MatchingConfig:
    """One version of the matching rules. Checked when built: a bad table fails at import, not in a round."""

    version: str
    # Weights of the soft terms; each is >= 0 and together they sum to 1, so a total lies in 0..1.
    weight_sector: float
    weight_availability: float
    weight_waiting: float
    # Unordered pairs of distinct NACE sections whose experience counts partly: {"P", "Q"} -> 0.5.
    relatedness: Mapping[frozenset[str], float]
    # Years of experience that earn the full credit (more count as this many).
    years_for_full_credit: int = 15
    # One year already earns more than this share of the credit, so experience in the mentee's exact
    # sector always beats a related sector (no relatedness may exceed it; checked below).
    min_years_credit: float = 0.5
    # Availability when either side gave no day parts ("flexible"): between no overlap (0) and full (1).
    flexible_availability: float = 0.5
    # Days of waiting since registration that earn the full fairness credit.
    waiting_days_for_full_credit: int = 60
    # The documented option: a mentor of another office in the same province may be proposed.
    allow_same_province: bool = False
    # Days a proposal stays open before it lapses (used by the caller when it records a proposal).
    proposal_expiry_days: int = 14

    def __post_init__(self) -> None:
        problems = []
        if not self.version.strip():
            problems.append("version must not be empty")
        weights = self.weights
        if any(w < 0 or not math.isfinite(w) for w in weights.values()):
            problems.append(f"weights must be finite and >= 0, got {weights}")
        elif not math.isclose(sum(weights.values()), 1.0, abs_tol=1e-9):
            problems.append(f"weights must sum to 1, got {sum(weights.values())}")
        for pair, value in self.relatedness.items():
            if len(pair) != 2 or not all(section in NACE_SECTIONS for section in pair):
                problems.append(f"relatedness key {sorted(pair)} must be two distinct NACE sections")
            if not 0 < value <= self.min_years_credit:
                problems.append(
                    f"relatedness {'-'.join(sorted(pair))} = {value} must be in (0, min_years_credit = "
                    f"{self.min_years_credit}], or a related sector could beat the mentee's own sector"
                )
        if self.years_for_full_credit < 1 or self.waiting_days_for_full_credit < 1:
            problems.append("years_for_full_credit and waiting_days_for_full_credit must be at least 1")
        if not 0 <= self.min_years_credit < 1 or not 0 <= self.flexible_availability <= 1:
            problems.append("min_years_credit must be in [0, 1) and flexible_availability in [0, 1]")
        if self.proposal_expiry_days < 1:
            problems.append("proposal_expiry_days must be at least 1")
        if problems:
            raise ValueError(f"matching config {self.version!r}: " + "; ".join(problems))
        # A read-only copy: the caller's dict cannot change a configuration that is in force.
        object.__setattr__(self, "relatedness", MappingProxyType(dict(self.relatedness)))

    @property
    def weights(self) -> dict[str, float]:
        """The soft terms' weights by name: "sector", "availability", "waiting"."""
        return {"sector": self.weight_sector, "availability": self.weight_availability, "waiting": self.weight_waiting}

    def related(self, target: str, section: str) -> float:
        """How much experience in `section` counts for a job target in `target`: 1, the table's value, or 0."""
        if target == section:
            return 1.0
        return self.relatedness.get(frozenset((target, section)), 0.0)


# Related NACE sections, with the reason for each in docs/matching.md (section "Related sectors").
# An Assumption of this project: no source gives such a table. Values never exceed min_years_credit.
RELATEDNESS_2026_11_27: Mapping[frozenset[str], float] = MappingProxyType(
    {
        frozenset("PQ"): 0.5,  # education ~ health and social work
        frozenset("JM"): 0.5,  # information and communication ~ professional, scientific and technical
        frozenset("KM"): 0.5,  # finance and insurance ~ professional (accounting, legal, consulting)
        frozenset("GI"): 0.4,  # trade ~ accommodation and food service
        frozenset("GH"): 0.4,  # trade ~ transport and storage
        frozenset("CF"): 0.4,  # manufacturing ~ construction
        frozenset("DE"): 0.4,  # energy supply ~ water and waste
        frozenset("KL"): 0.4,  # finance and insurance ~ real estate
        frozenset("HN"): 0.3,  # transport and storage ~ administrative and support
        frozenset("NO"): 0.3,  # administrative and support ~ public administration
        frozenset("OQ"): 0.3,  # public administration and social security ~ health and social work
        frozenset("CD"): 0.3,  # manufacturing ~ energy supply
        frozenset("AC"): 0.3,  # agriculture ~ manufacturing
        frozenset("IR"): 0.3,  # accommodation and food service ~ arts, entertainment and recreation
        frozenset("QT"): 0.3,  # health and social work ~ households as employers
    }
)

CONFIGS: Mapping[str, MatchingConfig] = MappingProxyType(
    {
        config.version: config
        for config in (
            MatchingConfig(
                version="2026-11-27.1",
                weight_sector=0.6,
                weight_availability=0.25,
                weight_waiting=0.15,
                relatedness=RELATEDNESS_2026_11_27,
            ),
        )
    }
)

# The version in force: the caller records CURRENT.version with every proposal it makes.
CURRENT = CONFIGS["2026-11-27.1"]


def config_for(version: str) -> MatchingConfig:
    """The configuration a proposal was scored with; raises KeyError for an unknown version."""
    try:
        return CONFIGS[version]
    except KeyError:
        raise KeyError(f"unknown matching config version {version!r}; known: {', '.join(CONFIGS)}") from None
