"""A matching round: the whole waiting pool paired at once, as an assignment problem.

Rows are mentees; each mentor is a column repeated `free_capacity` times. Infeasible cells (a hard rule
broken) cost more than any number of feasible pairs can gain, so the solver first pairs as many mentees
as the hard rules allow and, among those answers, takes the one with the highest total score. Pairs of
different areas (offices, or provinces with the option on) are infeasible anyway, so each area is solved
on its own: the same answer, found much faster. Pure: `today` and the declined pairs are passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from services.matching.domain.config import MatchingConfig
from services.matching.domain.scoring import (
    NO_DECLINED,
    Declined,
    MenteeCandidate,
    MentorCandidate,
    PairScore,
    area,
    score,
    sector_fit,
    waiting_credit,
)

T = TypeVar("T")
Matrix = NDArray[np.float64]
# Picks (row, column) cells of a block's values (NaN = infeasible) given each column's capacity.
_Assigner = Callable[[Matrix, NDArray[np.int64]], list[tuple[int, int]]]


@dataclass(frozen=True)
class Pairing:
    """One pair a round proposes, with the score the coordinator sees."""

    mentee_id: UUID
    mentor_id: UUID
    score: PairScore


@dataclass(frozen=True)
class RoundResult:
    """The pairs a round proposes (by mentee id) and the mentees it could not pair (by id)."""

    pairings: list[Pairing]
    unmatched_mentees: list[UUID]
    config_version: str

    @property
    def total(self) -> float:
        """The sum of the proposed pairs' totals."""
        return sum(p.score.total for p in self.pairings)


def solve_round(
    mentees: Iterable[MenteeCandidate],
    mentors: Iterable[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
) -> RoundResult:
    """The most pairs the hard rules allow and, among them, the highest total score; deterministic."""
    return _round(mentees, mentors, config, today, declined, _assign)


def greedy_round(
    mentees: Iterable[MenteeCandidate],
    mentors: Iterable[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
) -> RoundResult:
    """Best pair first until nothing fits: the naive way, kept to show (in tests) what solve_round gains."""
    return _round(mentees, mentors, config, today, declined, _greedy)


def score_matrix(
    mentees: Sequence[MenteeCandidate],
    mentors: Sequence[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined = NO_DECLINED,
) -> Matrix:
    """Every pair's total, rows in mentee order and columns in mentor order, NaN where a hard rule is broken.

    The vectorised twin of `score`: the same functions and the same arithmetic in the same order, so
    each feasible cell equals score(...).total exactly (a unit test compares them)."""
    values = np.full((len(mentees), len(mentors)), np.nan)
    rows_of: dict[tuple[str, ...], list[int]] = defaultdict(list)
    cols_of: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, mentee in enumerate(mentees):
        rows_of[area(mentee.office, config)].append(i)
    for j, mentor in enumerate(mentors):
        cols_of[area(mentor.office, config)].append(j)
    for key, rows in rows_of.items():
        cols = cols_of.get(key, [])
        if cols:
            block = _block_values([mentees[i] for i in rows], [mentors[j] for j in cols], config, today, declined)
            values[np.ix_(rows, cols)] = block
    return values


def _round(
    mentees: Iterable[MenteeCandidate],
    mentors: Iterable[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined,
    assign: _Assigner,
) -> RoundResult:
    ordered_mentees = _unique(sorted(mentees, key=lambda m: m.mentee_id), lambda m: m.mentee_id, "mentee")
    ordered_mentors = _unique(sorted(mentors, key=lambda m: m.mentor_id), lambda m: m.mentor_id, "mentor")
    mentees_in: dict[tuple[str, ...], list[MenteeCandidate]] = defaultdict(list)
    mentors_in: dict[tuple[str, ...], list[MentorCandidate]] = defaultdict(list)
    for mentee in ordered_mentees:
        mentees_in[area(mentee.office, config)].append(mentee)
    for mentor in ordered_mentors:
        if mentor.free_capacity > 0:
            mentors_in[area(mentor.office, config)].append(mentor)

    pairings = []
    for key in sorted(mentees_in):
        block_mentees, block_mentors = mentees_in[key], mentors_in.get(key, [])
        if not block_mentors:
            continue
        values = _block_values(block_mentees, block_mentors, config, today, declined)
        capacities = np.array([m.free_capacity for m in block_mentors], dtype=np.int64)
        for row, col in assign(values, capacities):
            mentee, mentor = block_mentees[row], block_mentors[col]
            pair = score(mentee, mentor, config, today, declined)
            if not pair.feasible:  # cannot happen while _block_values mirrors score; never propose it anyway
                raise AssertionError(f"round chose an infeasible pair: {pair.refusals}")
            pairings.append(Pairing(mentee.mentee_id, mentor.mentor_id, pair))
    pairings.sort(key=lambda p: p.mentee_id)
    paired = {p.mentee_id for p in pairings}
    unmatched = [m.mentee_id for m in ordered_mentees if m.mentee_id not in paired]
    return RoundResult(pairings, unmatched, config.version)


def _block_values(
    mentees: Sequence[MenteeCandidate],
    mentors: Sequence[MentorCandidate],
    config: MatchingConfig,
    today: date,
    declined: Declined,
) -> Matrix:
    """score_matrix for candidates of one area (the area rule is therefore not checked here)."""
    # Sector: each mentor's fit for each target that occurs, then one column per mentee's target.
    targets = sorted({m.sector for m in mentees})
    fit_by_target = np.array(
        [[sector_fit(target, mentor.experience, config).value for target in targets] for mentor in mentors],
        dtype=np.float64,
    ).reshape(len(mentors), len(targets))
    target_of = {target: k for k, target in enumerate(targets)}
    sector = fit_by_target[:, [target_of[m.sector] for m in mentees]].T

    # Availability: |A & B| / min(|A|, |B|) from 0/1 incidence matrices; flexible where a side is empty.
    mentee_parts = _incidence([m.day_parts for m in mentees], [m.day_parts for m in mentors])
    mentor_parts = _incidence([m.day_parts for m in mentors], [m.day_parts for m in mentees])
    common = mentee_parts @ mentor_parts.T
    smaller = np.minimum.outer(mentee_parts.sum(axis=1), mentor_parts.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.where(smaller > 0, common / smaller, config.flexible_availability)

    waiting = np.array([waiting_credit(m.registered_on, today, config) for m in mentees], dtype=np.float64)
    total = (config.weight_sector * sector + config.weight_availability * overlap) + (config.weight_waiting * waiting)[
        :, None
    ]
    total = np.minimum(total, 1.0)

    # Hard rules (besides the area): a common language, room for a duo, never a declined pair.
    languages = _incidence([m.languages for m in mentees], [m.languages for m in mentors])
    speaks = _incidence([m.languages for m in mentors], [m.languages for m in mentees])
    feasible = (languages @ speaks.T) > 0
    feasible &= np.array([m.free_capacity > 0 for m in mentors], dtype=bool)[None, :]
    if declined:
        row_of = {m.mentee_id: i for i, m in enumerate(mentees)}
        col_of = {m.mentor_id: j for j, m in enumerate(mentors)}
        for mentee_id, mentor_id in declined:
            if mentee_id in row_of and mentor_id in col_of:
                feasible[row_of[mentee_id], col_of[mentor_id]] = False
    return np.where(feasible, total, np.nan)


def _incidence(sets: Sequence[frozenset[str]], others: Sequence[frozenset[str]]) -> Matrix:
    """A 0/1 matrix, one row per set, one column per value found in either list (in sorted order)."""
    values = sorted(set().union(*sets, *others))
    column = {value: k for k, value in enumerate(values)}
    matrix = np.zeros((len(sets), len(values)), dtype=np.float64)
    for i, members in enumerate(sets):
        matrix[i, [column[v] for v in members]] = 1.0
    return matrix


def _assign(values: Matrix, capacities: NDArray[np.int64]) -> list[tuple[int, int]]:
    """The assignment: rows x (each column repeated by its capacity), infeasible cells prohibitively costly."""
    feasible = ~np.isnan(values)
    rows = np.flatnonzero(feasible.any(axis=1))  # a mentee or mentor with no feasible pair only slows it down
    cols = np.flatnonzero(feasible.any(axis=0))
    if rows.size == 0:
        return []
    slots = np.repeat(np.arange(cols.size), np.minimum(capacities[cols], rows.size))
    cells = values[np.ix_(rows, cols)][:, slots]
    allowed = ~np.isnan(cells)
    # Each total is at most 1, so one more feasible pair outweighs any difference in the others' scores.
    penalty = float(min(rows.size, slots.size) + 1)
    picked_rows, picked_slots = linear_sum_assignment(np.where(allowed, cells, -penalty), maximize=True)
    return [
        (int(rows[r]), int(cols[slots[s]])) for r, s in zip(picked_rows, picked_slots, strict=True) if allowed[r, s]
    ]


def _greedy(values: Matrix, capacities: NDArray[np.int64]) -> list[tuple[int, int]]:
    """Best feasible cell first (ties by row, then column: by id), skipping a paired mentee or a full mentor."""
    rows, cols = np.nonzero(~np.isnan(values))
    order = np.lexsort((cols, rows, -values[rows, cols]))  # the last key sorts first
    left = capacities.copy()
    paired = np.zeros(values.shape[0], dtype=bool)
    chosen = []
    for k in order:
        row, col = int(rows[k]), int(cols[k])
        if not paired[row] and left[col] > 0:
            paired[row] = True
            left[col] -= 1
            chosen.append((row, col))
    return chosen


def _unique(items: list[T], key: Callable[[T], Hashable], kind: str) -> list[T]:
    seen: set[Hashable] = set()
    for item in items:
        if key(item) in seen:
            raise ValueError(f"{kind} {key(item)} appears twice in the pool")
        seen.add(key(item))
    return items
