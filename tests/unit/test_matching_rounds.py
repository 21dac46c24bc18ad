"""Matching rounds: the whole pool at once, under the hard rules and the mentors' capacity. No I/O."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.config import CURRENT
from services.matching.domain.rounds import RoundResult, greedy_round, score_matrix, solve_round
from services.matching.domain.scoring import MenteeCandidate, MentorCandidate, score
from tests.unit.test_matching_scoring import TODAY, mentee, mentor

# Only the sector counts here, so each pair's total is easy to read from the years (docs/matching.md).
SECTOR_ONLY = replace(
    CURRENT, version="test-sector-only", weight_sector=1.0, weight_availability=0.0, weight_waiting=0.0
)


def years_for(total: float) -> int:
    """Years in the mentee's own sector that give `total` under SECTOR_ONLY."""
    floor, full = SECTOR_ONLY.min_years_credit, SECTOR_ONLY.years_for_full_credit
    return round((total - floor) / (1 - floor) * full)


def pairs_of(result: RoundResult) -> set[tuple[int, int]]:
    return {(p.mentee_id.int, p.mentor_id.int) for p in result.pairings}


def test_the_round_beats_best_pair_first():
    # A-X 1.0, A-Y 0.8, B-X 0.7, B-Y infeasible (no common language).
    a, b = mentee(1, sector="Q"), mentee(2, sector="P", languages=frozenset({"fr"}))
    x = mentor(1001, experience=(("Q", 15), ("P", years_for(0.7))), languages=frozenset({"nl", "fr"}))
    y = mentor(1002, experience=(("Q", years_for(0.8)),), languages=frozenset({"nl"}))
    assert score(a, x, SECTOR_ONLY, TODAY).total == pytest.approx(1.0)
    assert score(a, y, SECTOR_ONLY, TODAY).total == pytest.approx(0.8)
    assert score(b, x, SECTOR_ONLY, TODAY).total == pytest.approx(0.7)
    assert not score(b, y, SECTOR_ONLY, TODAY).feasible

    greedy = greedy_round([a, b], [x, y], SECTOR_ONLY, TODAY)
    best = solve_round([a, b], [x, y], SECTOR_ONLY, TODAY)
    assert pairs_of(greedy) == {(1, 1001)} and greedy.total == pytest.approx(1.0)
    assert greedy.unmatched_mentees == [UUID(int=2)]
    assert pairs_of(best) == {(1, 1002), (2, 1001)} and best.total == pytest.approx(1.5)
    assert best.unmatched_mentees == []


def test_the_round_pairs_as_many_mentees_as_possible_before_it_maximises_the_score():
    # A-X 1.0 alone scores more than A-Y 0.27 + B-X 0.21, but would leave B without a mentor.
    a, b = mentee(1, sector="Q"), mentee(2, sector="F", languages=frozenset({"fr"}))
    x = mentor(1001, experience=(("Q", 15), ("C", 1)), languages=frozenset({"nl", "fr"}))
    y = mentor(1002, experience=(("P", 1),), languages=frozenset({"nl"}))
    result = solve_round([a, b], [x, y], SECTOR_ONLY, TODAY)
    assert pairs_of(result) == {(1, 1002), (2, 1001)}
    assert result.total == pytest.approx(0.5 * (0.5 + 0.5 / 15) + 0.4 * (0.5 + 0.5 / 15))
    greedy = greedy_round([a, b], [x, y], SECTOR_ONLY, TODAY)
    assert pairs_of(greedy) == {(1, 1001)} and greedy.total > result.total


def test_a_mentor_gets_no_more_mentees_than_their_free_capacity():
    mentees = [mentee(n) for n in range(1, 6)]
    result = solve_round(mentees, [mentor(1001, free_capacity=2), mentor(1002, free_capacity=1)], CURRENT, TODAY)
    per_mentor = [p.mentor_id.int for p in result.pairings]
    assert per_mentor.count(1001) == 2 and per_mentor.count(1002) == 1
    assert len(result.unmatched_mentees) == 2
    assert solve_round(mentees, [mentor(1001, free_capacity=0)], CURRENT, TODAY).pairings == []


def test_a_declined_pair_is_never_proposed_even_when_it_is_the_best_one():
    best, other = mentor(1001, experience=(("Q", 40),)), mentor(1002, experience=(("F", 3),))
    declined = frozenset({(UUID(int=1), UUID(int=1001))})
    result = solve_round([mentee(1)], [best, other], CURRENT, TODAY, declined)
    assert pairs_of(result) == {(1, 1002)}
    assert solve_round([mentee(1)], [best], CURRENT, TODAY, declined).unmatched_mentees == [UUID(int=1)]


def test_infeasible_pairs_are_never_assigned_even_when_a_mentor_is_left_idle():
    mentees = [mentee(1, languages=frozenset({"fr"})), mentee(2, office="be-aalst"), mentee(3)]
    result = solve_round(mentees, [mentor(1001, free_capacity=3)], CURRENT, TODAY)
    assert pairs_of(result) == {(3, 1001)}
    assert result.unmatched_mentees == [UUID(int=1), UUID(int=2)]
    assert all(p.score.feasible and p.score.total > 0 for p in result.pairings)


def test_the_province_option_lets_a_round_cross_offices_of_one_province():
    mentees, mentors = [mentee(1, office="be-gent")], [mentor(1001, office="be-aalst")]
    assert solve_round(mentees, mentors, CURRENT, TODAY).pairings == []
    with_option = solve_round(mentees, mentors, replace(CURRENT, allow_same_province=True), TODAY)
    assert pairs_of(with_option) == {(1, 1001)}


def test_the_round_carries_each_pairs_full_score_and_the_configuration_version():
    result = solve_round([mentee(1)], [mentor(1001)], CURRENT, TODAY)
    assert result.config_version == CURRENT.version
    assert result.pairings[0].score == score(mentee(1), mentor(1001), CURRENT, TODAY)


def test_an_empty_pool_gives_an_empty_round():
    assert solve_round([], [], CURRENT, TODAY) == RoundResult([], [], CURRENT.version)
    assert solve_round([mentee(2), mentee(1)], [], CURRENT, TODAY).unmatched_mentees == [UUID(int=1), UUID(int=2)]
    assert solve_round([], [mentor()], CURRENT, TODAY).pairings == []
    assert greedy_round([], [], CURRENT, TODAY) == RoundResult([], [], CURRENT.version)


def test_a_candidate_listed_twice_is_refused():
    with pytest.raises(ValueError, match="appears twice"):
        solve_round([mentee(1), mentee(1)], [mentor()], CURRENT, TODAY)
    with pytest.raises(ValueError, match="appears twice"):
        solve_round([mentee(1)], [mentor(1001), mentor(1001)], CURRENT, TODAY)


def random_pool(seed: int, mentees: int, mentors: int) -> tuple[list[MenteeCandidate], list[MentorCandidate]]:
    rng = random.Random(seed)
    offices, sectors, languages = ["be-gent", "be-aalst", "be-brussel"], list("CFGHIJMNPQ"), ["nl", "fr", "en", "ar"]
    parts = ["mon-morning", "tue-evening", "wed-afternoon", "thu-morning", "sat-morning"]
    return (
        [
            mentee(
                n,
                office=rng.choice(offices),
                sector=rng.choice(sectors),
                languages=frozenset(rng.sample(languages, rng.randint(1, 2))),
                day_parts=frozenset(rng.sample(parts, rng.randint(0, 3))),
                registered_on=TODAY - timedelta(days=rng.randint(0, 90)),
            )
            for n in range(1, mentees + 1)
        ],
        [
            mentor(
                1000 + n,
                office=rng.choice(offices),
                experience=tuple((rng.choice(sectors), rng.randint(1, 35)) for _ in range(rng.randint(1, 3))),
                languages=frozenset(rng.sample(languages, rng.randint(1, 2))),
                day_parts=frozenset(rng.sample(parts, rng.randint(0, 3))),
                free_capacity=rng.randint(0, 3),
            )
            for n in range(1, mentors + 1)
        ],
    )


def test_the_same_pool_in_any_order_gives_the_same_round():
    mentees, mentors = random_pool(7, 60, 40)
    first = solve_round(mentees, mentors, CURRENT, TODAY)
    again = solve_round(mentees, mentors, CURRENT, TODAY)
    shuffled = solve_round(random.Random(1).sample(mentees, 60), random.Random(2).sample(mentors, 40), CURRENT, TODAY)
    assert first == again == shuffled
    assert [p.mentee_id for p in first.pairings] == sorted(p.mentee_id for p in first.pairings)
    assert first.unmatched_mentees == sorted(first.unmatched_mentees)


def test_the_vectorised_matrix_equals_scoring_each_pair_one_by_one():
    mentees, mentors = random_pool(11, 40, 30)
    declined = frozenset({(mentees[0].mentee_id, m.mentor_id) for m in mentors[:10]})
    for config in (CURRENT, replace(CURRENT, allow_same_province=True)):
        matrix = score_matrix(mentees, mentors, config, TODAY, declined)
        for (i, e), (j, r) in itertools.product(enumerate(mentees), enumerate(mentors)):
            pair = score(e, r, config, TODAY, declined)
            assert (pair.total if pair.feasible else None) == (None if np.isnan(matrix[i, j]) else matrix[i, j])


def brute_force(mentees: list[MenteeCandidate], mentors: list[MentorCandidate], declined) -> tuple[int, float]:
    """The best (number of pairs, total) over every way of giving each mentee a mentor or none."""
    best = (0, 0.0)
    for choice in itertools.product([None, *mentors], repeat=len(mentees)):
        chosen = [(e, r) for e, r in zip(mentees, choice, strict=True) if r is not None]
        if any(sum(r is c for _, c in chosen) > r.free_capacity for _, r in chosen):
            continue
        scores = [score(e, r, CURRENT, TODAY, declined) for e, r in chosen]
        if all(s.feasible for s in scores):
            best = max(best, (len(scores), sum(s.total for s in scores)))
    return best


@settings(max_examples=60, deadline=None, database=None)
@given(
    seed=st.integers(0, 10_000),
    mentees=st.integers(0, 4),
    mentors=st.integers(0, 3),
    declined_share=st.floats(0, 0.5),
)
def test_a_round_is_feasible_within_capacity_and_optimal(seed: int, mentees: int, mentors: int, declined_share: float):
    pool_mentees, pool_mentors = random_pool(seed, mentees, mentors)
    rng = random.Random(seed)
    declined = frozenset(
        (e.mentee_id, r.mentor_id)
        for e, r in itertools.product(pool_mentees, pool_mentors)
        if rng.random() < declined_share
    )
    result = solve_round(pool_mentees, pool_mentors, CURRENT, TODAY, declined)
    capacity = {r.mentor_id: r.free_capacity for r in pool_mentors}
    paired = [p.mentee_id for p in result.pairings]
    assert len(paired) == len(set(paired))
    assert sorted(paired + result.unmatched_mentees) == sorted(e.mentee_id for e in pool_mentees)
    for p in result.pairings:
        assert p.score.feasible and (p.mentee_id, p.mentor_id) not in declined
    for mentor_id, free in capacity.items():
        assert sum(p.mentor_id == mentor_id for p in result.pairings) <= max(free, 0)
    # Optimal: no way of pairing gives more pairs, or as many with a higher total; so greedy never wins.
    count, total = brute_force(pool_mentees, pool_mentors, declined)
    assert len(result.pairings) == count and math.isclose(result.total, total, abs_tol=1e-9)
    greedy = greedy_round(pool_mentees, pool_mentors, CURRENT, TODAY, declined)
    assert (len(greedy.pairings), greedy.total - 1e-9) <= (len(result.pairings), result.total)
