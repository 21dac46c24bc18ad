"""Benchmark: one matching round over a large pool, in process (the pure domain: no stack, no I/O).

Generates mentees and mentors spread over the Belgian offices with seeded random attributes, then runs
solve_round three times (offices only) and three times with the same-province option on, and greedy_round
once each for comparison. Run: `.venv/bin/python bench/matching_round.py [MENTEES] [MENTORS] [SEED]`.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta

from services.matching.domain.config import CURRENT, MatchingConfig
from services.matching.domain.rounds import RoundResult, greedy_round, solve_round
from services.matching.domain.scoring import MenteeCandidate, MentorCandidate
from shared.nace import NaceSection
from shared.tenancy import OFFICES, Tenant

TODAY = date(2026, 11, 27)
RUNS = 3

# Shares of the pool per office. Brussels forms most duos (3,400 of 5,500 in ten years) and the 2024 plan
# weighs Antwerpen and Oost-Vlaanderen above Vlaams-Brabant (docs/domain.md); Wallonia's split is a guess.
OFFICE_SHARES = {
    "be-brussel": 0.45,
    "be-antwerpen": 0.13,
    "be-mechelen": 0.04,
    "be-turnhout": 0.03,
    "be-gent": 0.09,
    "be-sint-niklaas": 0.03,
    "be-aalst": 0.03,
    "be-vilvoorde": 0.02,
    "be-machelen": 0.01,
    "be-grimbergen": 0.01,
    "be-liege": 0.09,
    "be-charleroi": 0.07,
}
REGION_LANGUAGE = {"Flanders": "nl", "Brussels": "fr", "Wallonia": "fr"}
MOTHER_TONGUES = ["ar", "tr", "ps", "ti", "so", "fa", "ru", "uk", "es", "pt", "am", "ff"]
# Job targets: many in trade, hospitality, logistics, support services and care; fewer in offices.
TARGET_SHARES: dict[NaceSection, int] = {
    "G": 14,
    "I": 10,
    "H": 10,
    "N": 10,
    "Q": 14,
    "C": 7,
    "F": 7,
    "J": 7,
    "M": 6,
    "P": 5,
    "K": 3,
}
TARGET_SHARES |= {"O": 3, "S": 2, "R": 2}
# Mentors' careers lean towards offices, industry, education and the public sector.
CAREER_SHARES = {"M": 12, "K": 10, "C": 10, "O": 9, "P": 9, "Q": 9, "J": 8, "G": 8, "H": 6, "N": 5, "F": 5}
CAREER_SHARES |= {"D": 3, "I": 3, "L": 2, "R": 1}
DAY_PARTS = [
    f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for p in ("morning", "afternoon", "evening")
]


def _office(rng: random.Random) -> str:
    return rng.choices(list(OFFICE_SHARES), weights=list(OFFICE_SHARES.values()))[0]


def _languages(rng: random.Random, office: str, mentee: bool) -> frozenset[str]:
    region = OFFICES[office][1]
    spoken = {REGION_LANGUAGE[region]}
    if region == "Brussels" and rng.random() < 0.25:
        spoken.add("nl")
    if rng.random() < (0.35 if mentee else 0.55):
        spoken.add("en")
    if mentee:
        spoken.add(rng.choice(MOTHER_TONGUES))
    elif rng.random() < 0.3:
        spoken.add("fr" if "nl" in spoken else "nl")
    return frozenset(spoken)


def _day_parts(rng: random.Random, most: int) -> frozenset[str]:
    if rng.random() < 0.1:
        return frozenset()  # not stated: counted as flexible
    return frozenset(rng.sample(DAY_PARTS, rng.randint(2, most)))


def generate(mentees: int, mentors: int, seed: int) -> tuple[list[MenteeCandidate], list[MentorCandidate]]:
    """A seeded pool: the same seed gives the same candidates, ids included."""
    rng = random.Random(seed)
    pool_mentees = []
    for _ in range(mentees):
        office = _office(rng)
        pool_mentees.append(
            MenteeCandidate(
                mentee_id=uuid.UUID(int=rng.getrandbits(128)),
                office=office,
                sector=rng.choices(list(TARGET_SHARES), weights=list(TARGET_SHARES.values()))[0],
                languages=_languages(rng, office, mentee=True),
                day_parts=_day_parts(rng, 8),
                registered_on=TODAY - timedelta(days=rng.randint(0, 180)),
            )
        )
    pool_mentors = []
    for _ in range(mentors):
        office = _office(rng)
        sections = rng.sample(list(CAREER_SHARES), k=rng.choice((1, 1, 2, 2, 3)))
        pool_mentors.append(
            MentorCandidate(
                mentor_id=uuid.UUID(int=rng.getrandbits(128)),
                office=office,
                experience=tuple((s, rng.randint(2, 40)) for s in sections),
                languages=_languages(rng, office, mentee=False),
                day_parts=_day_parts(rng, 6),
                free_capacity=rng.choices((1, 2, 3), weights=(6, 3, 1))[0],
            )
        )
    return pool_mentees, pool_mentors


def measure(label: str, mentees: list[MenteeCandidate], mentors: list[MentorCandidate], config: MatchingConfig) -> None:
    timings = []
    result: RoundResult | None = None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = solve_round(mentees, mentors, config, TODAY)
        timings.append(time.perf_counter() - started)
    assert result is not None
    started = time.perf_counter()
    greedy = greedy_round(mentees, mentors, config, TODAY)
    greedy_seconds = time.perf_counter() - started
    print(f"{label}:")
    print(
        f"  solve_round   min {min(timings):.2f} s, median {statistics.median(timings):.2f} s, "
        f"max {max(timings):.2f} s over {RUNS} runs"
    )
    print(
        f"  pairings      {len(result.pairings)}, unmatched mentees {len(result.unmatched_mentees)}, "
        f"total score {result.total:.1f} (mean {result.total / max(len(result.pairings), 1):.3f})"
    )
    print(f"  greedy_round  {len(greedy.pairings)} pairings, total score {greedy.total:.1f}, in {greedy_seconds:.2f} s")


def main() -> None:
    mentees = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    mentors = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 2026
    pool_mentees, pool_mentors = generate(mentees, mentors, seed)
    slots = sum(m.free_capacity for m in pool_mentors)
    offices = sum(1 for office, place in OFFICES.items() if place[0] is Tenant.BE)
    print(f"pool: {mentees} mentees, {mentors} mentors ({slots} free places) over {offices} Belgian offices")
    measure(f"config {CURRENT.version}, same office only", pool_mentees, pool_mentors, CURRENT)
    province = replace(CURRENT, version=f"{CURRENT.version}+province", allow_same_province=True)
    measure("with allow_same_province", pool_mentees, pool_mentors, province)


if __name__ == "__main__":
    main()
