"""Matching round: solve_round over 2,000 mentees and 2,000 mentors (scaled), the pure domain in process (no stack).

Reuses bench/matching_round.py's seeded pool over the Belgian offices; greedy_round timed alongside for scale.
"""

from __future__ import annotations

import time

from bench.common import Result, scaled
from bench.matching_round import TODAY, generate
from services.matching.domain.config import CURRENT
from services.matching.domain.rounds import greedy_round, solve_round

PEOPLE_AT_SCALE_1 = 2_000
SEED = 2026


def measure(scale: float = 1.0, repeat: int = 3) -> Result:
    result = Result("matching")
    people = scaled(PEOPLE_AT_SCALE_1, min(scale * 10, 1.0), least=20)  # 2,000 x 2,000 from scale 0.1 up
    mentees, mentors = generate(people, people, SEED)
    for _ in range(repeat):
        started = time.perf_counter()
        solved = solve_round(mentees, mentors, CURRENT, TODAY)
        result.figure("solve_round", "s", False).add(time.perf_counter() - started)
        result.figure("pairings", "duos").add(len(solved.pairings))
        started = time.perf_counter()
        greedy_round(mentees, mentors, CURRENT, TODAY)
        result.figure("greedy_round (for comparison)", "s", False).add(time.perf_counter() - started)
    result.notes = {
        "mentees": people,
        "mentors": people,
        "free_places": sum(m.free_capacity for m in mentors),
        "config": CURRENT.version,
        "seed": SEED,
    }
    return result
