"""Small cells stay hidden against subtraction: an attacker who knows every published cell and every published sum
tries every linear combination (numpy's rank, independent of the domain's own elimination) and never gets one back."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.disclosure import Published, Sum, hidden_cells
from services.reporting.domain.federation_feed import region_figures
from services.reporting.domain.figures import Applications, Counted, Figures, Rate, Retention
from services.reporting.domain.plan import (
    ALL_OF_BRANCH,
    YEARS,
    plan_cells,
    plan_rows,
    plan_sums,
    protect_plan,
    protected_formed,
)
from services.reporting.domain.publication import from_record, publication_date, publication_dates, publish, to_record
from services.reporting.domain.rollup import HEADLINES, TOTAL, protected_counts, published_sums, rollup
from shared.regions import Region
from shared.tenancy import Tenant

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


def figures(
    registered: int,
    refused: int,
    formed: int,
    ended: int,
    positive: int,
    jobs: int,
    mentors: int,
    definitions: tuple[str, str, str] = ("d", "d", "d"),
) -> Figures:
    """Figures holding only what the roll-up reads (the rest is not part of this table), and the definitions
    (positive exit, sustainable work, mentor retention) they say they were computed under."""
    positive_exit, sustainable_work, mentor_retention = definitions
    return Figures.model_construct(
        applications=Applications(
            total=registered + refused, registered=registered, refused=refused, refused_by_rule={}
        ),
        duos_formed=formed,
        positive_exit=Rate(numerator=positive, denominator=ended, rate=None, definition=positive_exit),
        sustainable_work=Rate(numerator=jobs, denominator=ended, rate=None, definition=sustainable_work),
        mentor_retention=Retention(
            numerator=0, denominator=0, rate=None, definition=mentor_retention, observation_window_months=None
        ),
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


def test_the_branch_total_the_roll_up_shows_is_never_a_complement_of_the_plan():
    """Antwerpen 8 and Oost-Vlaanderen 1 in 2024: the roll-up shows the branch's 9 duos, so the plan may not count
    on hiding them: Flanders' 2024-2027 would be 9 minus Brussels' 0."""
    rows = plan_rows({("Antwerpen", 2024): 8, ("Oost-Vlaanderen", 2024): 1})
    shown = protected_formed(rows, SUPPRESS_BELOW, 9, False)
    cells = plan_cells(rows, 9)
    shown_with_the_roll_up = {**shown, ALL_OF_BRANCH: 9}
    assert shown[("Oost-Vlaanderen", 2024)] is None
    assert recoverable(cells, plan_sums(cells), shown_with_the_roll_up) == set()


# Publications: the same table at two quarter ends, the second protected against the first as it was published.


def test_the_calendar_snaps_every_day_to_the_last_quarter_end_that_is_over():
    today = date(2026, 12, 6)
    assert publication_date(None, today) == date(2026, 9, 30)
    assert publication_date(date(2026, 10, 1), today) == publication_date(date(2026, 12, 5), today) == date(2026, 9, 30)
    assert publication_date(date(2026, 9, 30), today) == date(2026, 9, 30)
    assert publication_date(date(2026, 9, 29), today) == date(2026, 6, 30)
    assert publication_date(date(2027, 6, 1), today) == date(2026, 9, 30)  # a day to come: the last one out
    assert publication_date(None, date(2026, 9, 30)) == date(2026, 6, 30)  # a quarter's last day is not over yet
    assert publication_date(None, date(2027, 1, 1)) == date(2026, 12, 31)
    assert publication_date(date(2024, 3, 30), today) is None  # before the first publication
    assert publication_dates(date(2025, 3, 31)) == [
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
        date(2024, 12, 31),
        date(2025, 3, 31),
    ]


def figures_of(rows: list[tuple[int, ...]]) -> dict[str, Figures]:
    return {
        branch: figures(registered, refused, formed, ended, min(positive, ended), min(jobs, ended), mentors)
        for branch, (registered, refused, formed, ended, positive, jobs, mentors) in zip(BRANCHES, rows, strict=True)
    }


def test_the_issues_example_nl_27_then_31_cannot_be_subtracted():
    march = figures_of([(40, 6, 9, 0, 0, 0, 6), (0, 0, 0, 0, 0, 0, 0), (27, 0, 0, 0, 0, 0, 0)])  # BE, FR, NL
    june = figures_of([(40, 6, 9, 0, 0, 0, 6), (0, 0, 0, 0, 0, 0, 0), (31, 0, 0, 0, 0, 0, 0)])
    first = publish(date(2026, 3, 31), march, plan_rows({}), [])
    second = publish(date(2026, 6, 30), june, plan_rows({}), [first])
    assert first.shown_rollup()[("NL", "registered")] == 27
    assert second.shown_rollup()[("NL", "registered")] is None  # 31 beside the published 27 would give 4
    assert second.shown_rollup()[("total", "registered")] is None  # 71 beside 67 as well
    assert differences(first.rollup, second.rollup) == []


def watched(sums: list[Sum], cells: dict) -> list[frozenset]:
    """Every cell, and every sum of some parts of a published relation (this test's own enumeration)."""
    groups = {frozenset([cell]) for cell in cells}
    for relation in sums:
        for size in range(2, len(relation.parts) + 1):
            groups.update(frozenset(c) for c in itertools.combinations(relation.parts, size))
    return sorted(groups, key=repr)


def differences(before: Published, after: Published) -> list:
    """What a reader of both publications works out that they must not, with an independent solver (numpy's rank)
    over the joint system: each publication's relations over its hidden cells, and each cell's change between them
    as an unknown of its own. Returned: every hidden cell of either that is determined, every cell or sum of a
    relation's parts whose change is determined and small, every such sum of `after` with a hidden cell that is
    determined and small."""
    columns = [("after", c) for c in sorted(after.hidden, key=repr)] + [
        ("before", c) for c in sorted(before.hidden, key=repr)
    ]
    columns += [("change", c) for c in sorted(after.counts, key=repr) if c in before.counts]
    index = {column: i for i, column in enumerate(columns)}
    rows = []
    for layer, table in (("after", after), ("before", before)):
        for relation in table.sums:
            row = np.zeros(len(columns))
            for part in relation.parts:
                if (layer, part) in index:
                    row[index[(layer, part)]] += 1
            if (layer, relation.total) in index:
                row[index[(layer, relation.total)]] -= 1
            rows.append(row)
    for _, cell in (c for c in columns if c[0] == "change"):
        row = np.zeros(len(columns))
        row[index[("change", cell)]] = 1  # change = after - before: the hidden sides are unknowns, the shown constants
        if ("after", cell) in index:
            row[index[("after", cell)]] = -1
        if ("before", cell) in index:
            row[index[("before", cell)]] = 1
        rows.append(row)
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)

    def known(vector: np.ndarray) -> bool:
        return bool(np.linalg.matrix_rank(np.vstack([a, vector])) == rank)

    def vector_of(layer: str, group: frozenset) -> np.ndarray:
        v = np.zeros(len(columns))
        for cell in group:
            if (layer, cell) in index:
                v[index[(layer, cell)]] = 1
        return v

    found: list = [c for c in columns if c[0] != "change" and known(vector_of(c[0], frozenset([c[1]])))]
    for group in watched(list(after.sums), dict(after.counts)):
        if not group <= before.counts.keys():
            continue
        change = sum(after.counts[c] for c in group) - sum(before.counts[c] for c in group)
        if 0 < abs(change) < SUPPRESS_BELOW and known(vector_of("change", group)):
            found.append(("change", group, change))
        level = sum(after.counts[c] for c in group)
        if group & after.hidden and 0 < level < SUPPRESS_BELOW and known(vector_of("after", group)):
            found.append(("level", group, level))
    return found


branch_row = st.tuples(counts, counts, counts, counts, counts, counts, counts)
growth = st.integers(0, 6) | st.integers(0, 30)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(branch_row, min_size=3, max_size=3),
    st.lists(
        st.lists(st.tuples(growth, growth, growth, growth, growth, growth, st.integers(-6, 6)), min_size=3, max_size=3),
        min_size=2,
        max_size=2,
    ),
)
def test_no_subtraction_across_publications_gives_a_hidden_cell_or_a_small_change_back(first, growths):
    """Three quarters of a growing programme: between any two publications (not only consecutive ones), no hidden
    cell, no small change of a cell, of a total, or of a sum of a relation's parts, can be worked out."""
    quarters = [first]
    for grown in growths:
        quarters.append(
            [
                tuple(max(0, v + d) for v, d in zip(row, delta, strict=True))
                for row, delta in zip(quarters[-1], grown, strict=True)
            ]
        )
    published: list = []
    for i, rows in enumerate(quarters):
        published.append(publish(date(2025, 3 * i + 3, 28), figures_of(rows), plan_rows({}), published))
    for later in range(1, len(published)):
        table = published[later].rollup
        assert all(c in table.hidden for c, v in table.counts.items() if 0 < v < SUPPRESS_BELOW)
        for before in range(later):
            assert differences(published[before].rollup, table) == [], (before, later)


plan_counts = st.dictionaries(
    st.tuples(st.sampled_from(("Antwerpen", "Oost-Vlaanderen", "Vlaams-Brabant", "Brussels")), st.sampled_from(YEARS)),
    counts,
)


@settings(max_examples=120, deadline=None)
@given(plan_counts, plan_counts)
def test_no_subtraction_across_two_plans_gives_a_hidden_cell_or_a_small_change_back(formed, more):
    before_cells = plan_cells(plan_rows(formed), None)
    before = Published(before_cells, protect_plan(before_cells, SUPPRESS_BELOW, False), plan_sums(before_cells))
    grown = {key: formed.get(key, 0) + more.get(key, 0) % 7 for key in formed.keys() | more.keys()}
    after_cells = plan_cells(plan_rows(grown), None)
    hidden = protect_plan(after_cells, SUPPRESS_BELOW, False, [before])
    assert differences(before, Published(after_cells, hidden, plan_sums(after_cells))) == []


def test_a_publication_is_stored_as_it_was_published():
    tables = publish(
        date(2026, 6, 30),
        figures_of([(40, 6, 9, 0, 0, 0, 6), (0,) * 7, (3, 0, 0, 0, 0, 0, 0)]),
        plan_rows({("Antwerpen", 2026): 3}),
        [],
    )
    again = from_record(
        tables.published_on, json.loads(json.dumps(to_record(tables))), json.loads(json.dumps(tables.definitions))
    )
    assert again == tables and again.shown_rollup()[("NL", "registered")] is None


def test_a_publication_keeps_the_definitions_each_branchs_cells_were_computed_under():
    """What each branch's figures say they were computed under is the publication's, stored and read back as is."""
    be = ("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
    nl = ("positive-exit/v1", "sustainable-work-agency/v1", "mentor-retention/v1")
    tables = publish(
        date(2027, 3, 31),
        {"BE": figures(40, 6, 9, 9, 6, 0, 6, be), "NL": figures(30, 0, 11, 11, 11, 6, 5, nl)},
        plan_rows({}),
        [],
    )
    keys = ("positive_exit", "sustainable_work", "mentor_retention")
    assert tables.definitions == {"BE": dict(zip(keys, be, strict=True)), "NL": dict(zip(keys, nl, strict=True))}
    stored = json.loads(json.dumps(to_record(tables))), json.loads(json.dumps(tables.definitions))
    assert from_record(tables.published_on, *stored).definitions == tables.definitions
    # What the region tells the federation is the stored publication's, not a branch's choice of today.
    region = Region("west", frozenset({Tenant.BE, Tenant.NL}))
    [sent] = region_figures(region, [tables], datetime(2027, 4, 2, tzinfo=UTC)).publications
    assert sent.definitions == {Tenant(b): d for b, d in tables.definitions.items()}
