"""Disclosure control for published tables: small cells hidden so that no sum or difference brings them back. Pure.

A count between 1 and SUPPRESS_BELOW - 1 could point at a person, so it is suppressed (primary suppression). Hiding
it alone is not enough: a table also publishes totals, and a total minus the shown parts gives the hidden cell back
("31 in all, BE 27, FR 0, so NL 4"). So more cells are hidden (complementary suppression) until, for the additive
relations the table publishes (total = sum of parts), no hidden cell is determined by any linear combination of the
shown ones, and no relation gives away a small sum of hidden cells (nor any sum of some of a relation's parts that
holds a hidden cell). Zeros are shown: "nobody" points at no one.

A table published again (the federation's tables, every quarter: domain/publication.py) can also be subtracted from its
earlier publications: "NL 27 at the end of March, 31 at the end of June" gives a change of 4, four people. So a table
is protected together with its earlier publications as they were published (`earlier`): no cell, and no sum of the
parts of a published relation, may be worked out in both with a small change (1 to SUPPRESS_BELOW - 1, either way)
between them. Each publication's own hidden cells stay undetermined whatever the others show, since the changes
between them are unknowns of their own: a sum's change is known exactly when the sum is known in both.

The check is exact (Gaussian elimination over fractions): a linear combination of the cells is determined when its
restriction to the hidden cells is orthogonal to every vector of the null space of the relations restricted to the
hidden cells (so lies in their row space). Tables here are small (tens of cells), so this is cheap.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Generic, TypeVar

Cell = TypeVar("Cell", bound=Hashable)


@dataclass(frozen=True)
class Sum(Generic[Cell]):
    """A relation the table publishes: the value of `total` is the sum of the values of `parts`."""

    total: Cell
    parts: tuple[Cell, ...]


@dataclass(frozen=True)
class Published(Generic[Cell]):
    """An earlier publication of a table as it was published: every cell's count (kept, not shown where hidden),
    the cells it hid, and the relations it published."""

    counts: Mapping[Cell, int]
    hidden: frozenset[Cell]
    sums: Sequence[Sum[Cell]]


MAX_GROUP_PARTS = 8  # a relation with more parts is watched as a whole and cell by cell (2^8 subsets at most)


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def hidden_cells(
    cells: Mapping[Cell, int],
    sums: Sequence[Sum[Cell]],
    threshold: int,
    hide: Iterable[Cell] = (),
    earlier: Sequence[Published[Cell]] = (),
    fixed: Iterable[Cell] = (),
) -> set[Cell]:
    """The cells to hide: every small one, `hide` (cells another table already hides), and enough complements that
    neither a relation nor any combination of relations gives a hidden cell, or a small sum of hidden cells, back,
    nor, with any `earlier` publication of the table, a small change of a cell or of a sum of a relation's parts.
    `fixed` cells are shown or hidden by another table (as `hide` says): never taken as complements."""
    hidden = {cell for cell, count in cells.items() if is_small(count, threshold)} | set(hide)
    choosable = {cell for cell in cells if cell not in set(fixed)}
    groups = _watched_groups(cells, sums)
    before = [_known_sums(e.counts, e.sums, e.hidden, groups) for e in earlier]
    while True:
        leaks = _leaks(cells, sums, hidden, threshold)
        if leaks:
            hidden.add(_complement_among(cells, sums, hidden, leaks, choosable))
            continue
        group = _first_group_leak(cells, sums, hidden, threshold, groups, before)
        if group is None:
            return hidden
        hidden.add(_complement_of_group(cells, sums, hidden, group, choosable))


def _watched_groups(cells: Iterable[Cell], sums: Sequence[Sum[Cell]]) -> list[frozenset[Cell]]:
    """What a reader may try to work out: every cell, and every sum of some parts of a published relation."""
    groups = {frozenset([cell]) for cell in cells}
    for relation in sums:
        if len(relation.parts) > MAX_GROUP_PARTS:
            groups.add(frozenset(relation.parts))
            continue
        for size in range(2, len(relation.parts) + 1):
            groups.update(frozenset(parts) for parts in combinations(relation.parts, size))
    return sorted(groups, key=lambda g: (len(g), sorted(map(repr, g))))


def determined(sums: Sequence[Sum[Cell]], hidden: set[Cell]) -> set[Cell]:
    """The hidden cells that the shown cells and the relations determine exactly (what an attacker can subtract)."""
    basis = _null_basis(sums, hidden)
    return {cell for cell in hidden if all(not vector.get(cell) for vector in basis)}


def _known_sums(
    counts: Mapping[Cell, int],
    sums: Sequence[Sum[Cell]],
    hidden: set[Cell] | frozenset[Cell],
    groups: Iterable[frozenset[Cell]],
) -> dict[frozenset[Cell], int]:
    """Each of `groups` whose sum a reader of a published table works out exactly, with that sum."""
    basis = _null_basis(sums, set(hidden))
    return {
        group: sum(counts[cell] for cell in group)
        for group in groups
        if group <= counts.keys() and _is_determined(group, hidden, basis)
    }


def _is_determined(
    group: frozenset[Cell], hidden: set[Cell] | frozenset[Cell], basis: list[dict[Cell, Fraction]]
) -> bool:
    """Whether the sum of `group` is determined: its hidden part is orthogonal to the null space of the relations."""
    inside = [cell for cell in group if cell in hidden]
    return all(sum((vector.get(cell, 0) for cell in inside), Fraction(0)) == 0 for vector in basis)


def _null_basis(sums: Sequence[Sum[Cell]], hidden: set[Cell]) -> list[dict[Cell, Fraction]]:
    """A basis of the null space of the relations restricted to the hidden cells: the ways the hidden cells can move
    together without changing anything shown. A combination of cells is determined when no such way moves it."""
    order = sorted(hidden, key=repr)
    column = {cell: i for i, cell in enumerate(order)}
    rows = []
    for relation in sums:
        row = [Fraction(0)] * len(order)
        for part in relation.parts:
            if part in column:
                row[column[part]] += 1
        if relation.total in column:
            row[column[relation.total]] -= 1
        if any(row):
            rows.append(row)
    reduced = _reduced_rows(rows)
    pivots = {pivot for pivot, _ in reduced}
    basis = []
    for free in (i for i in range(len(order)) if i not in pivots):
        vector = {order[free]: Fraction(1)}
        for pivot, row in reduced:
            if row[free]:
                vector[order[pivot]] = -row[free]
        basis.append(vector)
    return basis


def _reduced_rows(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """The rows in reduced row echelon form, each with its pivot column."""
    reduced: list[tuple[int, list[Fraction]]] = []
    width = len(rows[0]) if rows else 0
    rows = [r[:] for r in rows]
    top = 0
    for col in range(width):
        pivot = next((i for i in range(top, len(rows)) if rows[i][col]), None)
        if pivot is None:
            continue
        rows[top], rows[pivot] = rows[pivot], rows[top]
        lead = rows[top][col]
        rows[top] = [v / lead for v in rows[top]]
        for i in range(len(rows)):
            if i != top and rows[i][col]:
                factor = rows[i][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[top], strict=True)]
        reduced.append((col, rows[top]))
        top += 1
    return [(col, rows[i]) for i, (col, _) in enumerate(reduced)]


def _leaks(cells: Mapping[Cell, int], sums: Sequence[Sum[Cell]], hidden: set[Cell], threshold: int) -> list[Sum[Cell]]:
    """The relations through which a hidden cell (or a small sum of hidden cells) can be worked out."""
    exact = determined(sums, hidden)
    leaks = []
    for relation in sums:
        members = (*relation.parts, relation.total)
        unknown_parts = [part for part in relation.parts if part in hidden]
        known_sum = relation.total not in hidden
        if any(cell in exact for cell in members) or (
            unknown_parts and known_sum and is_small(sum(cells[part] for part in unknown_parts), threshold)
        ):
            leaks.append(relation)
    return leaks


def _complement_among(
    cells: Mapping[Cell, int],
    sums: Sequence[Sum[Cell]],
    hidden: set[Cell],
    leaks: list[Sum[Cell]],
    choosable: set[Cell],
) -> Cell:
    """The complement of the first leaking relation that has a shown non-zero cell to hide (a relation of zeros
    around a determined cell is seldom the one it is worked out through), else of the first."""
    for leak in leaks:
        if any(c not in hidden and c in choosable and cells[c] for c in (*leak.parts, leak.total)):
            return _complement(cells, sums, hidden, leak, choosable)
    return _complement(cells, sums, hidden, leaks[0], choosable)


def _first_group_leak(
    cells: Mapping[Cell, int],
    sums: Sequence[Sum[Cell]],
    hidden: set[Cell],
    threshold: int,
    groups: Sequence[frozenset[Cell]],
    before: Sequence[Mapping[frozenset[Cell], int]],
) -> frozenset[Cell] | None:
    """A watched group whose sum can be worked out and is small (with a hidden member), or whose change since an
    earlier publication, where it could be worked out as well, is small, if any."""
    basis = _null_basis(sums, hidden)
    for group in groups:
        if not _is_determined(group, hidden, basis):
            continue
        now = sum(cells[cell] for cell in group)
        if group & hidden and is_small(now, threshold):
            return group
        if any(group in known and is_small(abs(now - known[group]), threshold) for known in before):
            return group
    return None


def _complement_of_group(
    cells: Mapping[Cell, int],
    sums: Sequence[Sum[Cell]],
    hidden: set[Cell],
    group: frozenset[Cell],
    choosable: set[Cell],
) -> Cell:
    """The cell to hide next so that `group` is no longer worked out: its smallest shown non-zero member, else a
    complement of a relation that holds one of its members."""
    shown = sorted(
        (c for c in group if c not in hidden and c in choosable and cells[c]), key=lambda c: (cells[c], repr(c))
    )
    if shown:
        return shown[0]
    touching = [relation for relation in sums if group & {*relation.parts, relation.total}]
    if not touching:
        raise ValueError("the table cannot be protected: a watched group is in no relation")
    return _complement_among(cells, sums, hidden, touching, choosable)


def _complement(
    cells: Mapping[Cell, int], sums: Sequence[Sum[Cell]], hidden: set[Cell], leak: Sum[Cell], choosable: set[Cell]
) -> Cell:
    """The cell to hide next to close `leak`: its smallest shown non-zero part, else its total, else a shown zero
    (only if nothing else is left), so as little as possible disappears; only `choosable` cells are taken."""
    shown_parts = [part for part in leak.parts if part not in hidden and part in choosable]
    nonzero = sorted((part for part in shown_parts if cells[part]), key=lambda part: (cells[part], repr(part)))
    if nonzero:
        return nonzero[0]
    if leak.total not in hidden and leak.total in choosable:
        return leak.total
    if shown_parts:
        return sorted(shown_parts, key=repr)[0]
    # Every member of the leaking relation is hidden (or fixed elsewhere), yet a cell of it is determined through
    # other relations: widen, relation by relation, to a shown cell of a relation linked to it.
    members, seen = {*leak.parts, leak.total}, {leak}
    while True:
        linked = [r for r in sums if r not in seen and members & {*r.parts, r.total}]
        if not linked:
            raise ValueError("the table cannot be protected: every cell is already hidden")
        for relation in linked:
            order = sorted((*relation.parts, relation.total), key=lambda c: (cells[c] == 0, cells[c], repr(c)))
            for cell in order:
                if cell not in hidden and cell in choosable:
                    return cell
            seen.add(relation)
            members |= {*relation.parts, relation.total}
