"""Small cells stay hidden against subtraction: an attacker who knows every published cell and every published sum
tries every linear combination (numpy's rank, independent of the domain's own elimination) and never gets one back."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.disclosure import Sum, hidden_cells
from services.reporting.domain.figures import Applications, Counted, Figures, Rate
from services.reporting.domain.plan import YEARS, plan_rows, protected_formed
from services.reporting.domain.rollup import HEADLINES, TOTAL, protected_counts, published_sums, rollup

BRANCHES = ("BE", "FR", "NL")


def recoverable(cells: dict, sums: list[Sum], shown: dict) -> set:
    """Every hidden cell an attacker can compute from the shown cells and the sums, by any linear combination."""
    hidden = sorted((c for c, v in shown.items() if v is None), key=repr)
    if not hidden:
        return set()
    column = {c: i for i, c in enumerate(hidden)}
    rows = []
    for relation in sums:
        row = np.zeros(len(hidden))
        for part in relation.parts:
            if part in column:
                row[column[part]] += 1
        if relation.total in column:
            row[column[relation.total]] -= 1
        rows.append(row)
    a = np.array(rows) if rows else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(a) if len(a) else 0
    found = set()
    for cell, i in column.items():
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.add(cell)
    return found


def small_sums(cells: dict, sums: list[Sum], shown: dict) -> list[Sum]:
    """The sums whose shown total minus shown parts is a small count: a small group given away."""
    return [
        s
        for s in sums
        if shown[s.total] is not None
        and any(shown[p] is None for p in s.parts)
        and 0 < sum(cells[p] for p in s.parts if shown[p] is None) < SUPPRESS_BELOW
    ]


def figures(registered: int, refused: int, formed: int, ended: int, positive: int, jobs: int, mentors: int) -> Figures:
    """Figures holding only what the roll-up reads (the rest is not part of this table)."""
    return Figures.model_construct(
        applications=Applications(
            total=registered + refused, registered=registered, refused=refused, refused_by_rule={}
        ),
        duos_formed=formed,
        positive_exit=Rate(numerator=positive, denominator=ended, rate=None, definition="d"),
        sustainable_work=Rate(numerator=jobs, denominator=ended, rate=None, definition="d"),
        active_mentors=Counted(count=mentors, definition="d"),
    )


def test_the_issues_example_nl_4_cannot_be_subtracted():
    by_branch = {
        "BE": figures(27, 3, 9, 0, 0, 0, 6),
        "NL": figures(4, 0, 0, 0, 0, 0, 0),
        "FR": figures(0, 0, 0, 0, 0, 0, 0),
    }
    table = rollup(by_branch)
    assert table.by_branch["NL"].registered is None and table.by_branch["BE"].registered is None
    assert table.total.registered == 31 and table.by_branch["FR"].registered == 0


counts = st.integers(0, 40) | st.integers(0, 6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts, counts, counts, counts, counts), min_size=3, max_size=3))
def test_no_subtraction_over_the_roll_up_gives_a_hidden_cell_back(rows):
    by_branch = {}
    for branch, (registered, refused, formed, ended, positive, jobs, mentors) in zip(BRANCHES, rows, strict=True):
        by_branch[branch] = figures(registered, refused, formed, ended, min(positive, ended), min(jobs, ended), mentors)
    shown = protected_counts(by_branch)
    cells = {(b, name): read(by_branch[b]) for b in BRANCHES for name, read in HEADLINES.items()}
    cells |= {(TOTAL, name): sum(read(f) for f in by_branch.values()) for name, read in HEADLINES.items()}
    sums = published_sums(sorted(BRANCHES))
    assert all(shown[c] is None for c, v in cells.items() if 0 < v < SUPPRESS_BELOW)  # every small cell hidden
    assert all(shown[c] in (None, v) for c, v in cells.items())  # what is shown is true
    assert recoverable(cells, sums, shown) == set()
    assert small_sums(cells, sums, shown) == []


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(
            st.sampled_from(("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant", "Brussels")), st.sampled_from(YEARS)
        ),
        counts,
    )
)
def test_no_subtraction_over_the_plan_gives_a_hidden_cell_back(formed):
    rows = plan_rows(formed)
    shown = protected_formed(rows, SUPPRESS_BELOW, None, False)
    cells = {(r.area, r.year): r.formed for r in rows}
    flanders = ("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant")
    sums = [Sum(("Flanders", y), tuple((p, y) for p in flanders)) for y in (*YEARS, 0)]
    sums += [Sum((a, 0), tuple((a, y) for y in YEARS)) for a in (*flanders, "Flanders", "Brussels")]
    assert all(shown[c] is None for c, v in cells.items() if 0 < v < SUPPRESS_BELOW)
    assert recoverable(cells, sums, shown) == set()
    assert small_sums(cells, sums, shown) == []


def test_a_branch_count_the_roll_up_hides_is_not_given_back_by_the_plans_totals():
    formed = {("Antwerpen", 2025): 3}  # the branch formed 3 duos: the roll-up hides them
    shown = protected_formed(plan_rows(formed), SUPPRESS_BELOW, 3, True)
    assert shown[("Antwerpen", 2025)] is None and shown[("Flanders", 0)] is None


def test_a_table_with_nothing_small_shows_everything():
    cells = {"a": 10, "b": 0, "t": 10}
    assert hidden_cells(cells, [Sum("t", ("a", "b"))], SUPPRESS_BELOW) == set()


def test_a_lone_small_cell_beside_zeros_hides_the_total():
    cells = {"a": 3, "b": 0, "c": 0, "t": 3}
    assert hidden_cells(cells, [Sum("t", ("a", "b", "c"))], SUPPRESS_BELOW) == {"a", "t"}


def test_two_small_cells_that_add_up_to_a_small_sum_take_a_third_with_them():
    cells = {"a": 1, "b": 2, "c": 30, "t": 33}
    assert hidden_cells(cells, [Sum("t", ("a", "b", "c"))], SUPPRESS_BELOW) == {"a", "b", "c"}
