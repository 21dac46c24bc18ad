"""Disclosure control for published tables: small cells hidden so that no sum or difference brings them back. Pure.

A count between 1 and SUPPRESS_BELOW - 1 could point at a person, so it is suppressed (primary suppression). Hiding
it alone is not enough: a table also publishes totals, and a total minus the shown parts gives the hidden cell back
("31 in all, BE 27, FR 0, so NL 4"). So more cells are hidden (complementary suppression) until, for the additive
relations the table publishes (total = sum of parts), no hidden cell is determined by any linear combination of the
shown ones, and no relation gives away a small sum of hidden cells. Zeros are shown: "nobody" points at no one.

The check is exact (Gaussian elimination over fractions): a hidden cell is determined when its unit vector lies in the
row space of the relations restricted to the hidden cells. Tables here are small (tens of cells), so this is cheap.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

Cell = TypeVar("Cell", bound=Hashable)


@dataclass(frozen=True)
class Sum(Generic[Cell]):
    """A relation the table publishes: the value of `total` is the sum of the values of `parts`."""

    total: Cell
    parts: tuple[Cell, ...]


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def hidden_cells(
    cells: Mapping[Cell, int], sums: Sequence[Sum[Cell]], threshold: int, hide: Iterable[Cell] = ()
) -> set[Cell]:
    """The cells to hide: every small one, `hide` (cells another table already hides), and enough complements that
    neither a relation nor any combination of relations gives a hidden cell, or a small sum of hidden cells, back."""
    hidden = {cell for cell, count in cells.items() if is_small(count, threshold)} | set(hide)
    while True:
        leak = _first_leak(cells, sums, hidden, threshold)
        if leak is None:
            return hidden
        hidden.add(_complement(cells, sums, hidden, leak))


def determined(sums: Sequence[Sum[Cell]], hidden: set[Cell]) -> set[Cell]:
    """The hidden cells that the shown cells and the relations determine exactly (what an attacker can subtract)."""
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
    return {order[pivot] for pivot, row in _reduced_rows(rows) if sum(1 for v in row if v) == 1}


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


def _first_leak(
    cells: Mapping[Cell, int], sums: Sequence[Sum[Cell]], hidden: set[Cell], threshold: int
) -> Sum[Cell] | None:
    """A relation through which a hidden cell (or a small sum of hidden cells) can be worked out, if any."""
    exact = determined(sums, hidden)
    for relation in sums:
        members = (*relation.parts, relation.total)
        if any(cell in exact for cell in members):
            return relation
        unknown_parts = [part for part in relation.parts if part in hidden]
        known_sum = relation.total not in hidden
        if unknown_parts and known_sum and is_small(sum(cells[part] for part in unknown_parts), threshold):
            return relation
    return None


def _complement(cells: Mapping[Cell, int], sums: Sequence[Sum[Cell]], hidden: set[Cell], leak: Sum[Cell]) -> Cell:
    """The cell to hide next to close `leak`: its smallest shown non-zero part, else its total, else a shown zero
    (only if nothing else is left), so as little as possible disappears."""
    shown_parts = [part for part in leak.parts if part not in hidden]
    nonzero = sorted((part for part in shown_parts if cells[part]), key=lambda part: (cells[part], repr(part)))
    if nonzero:
        return nonzero[0]
    if leak.total not in hidden:
        return leak.total
    if shown_parts:
        return sorted(shown_parts, key=repr)[0]
    # Every member of the leaking relation is hidden, yet a cell of it is determined through other relations:
    # widen to a shown cell of a relation that shares a hidden member with it.
    members = {*leak.parts, leak.total}
    for relation in sums:
        if members & {*relation.parts, relation.total}:
            for cell in sorted((*relation.parts, relation.total), key=lambda c: (cells[c] == 0, cells[c], repr(c))):
                if cell not in hidden:
                    return cell
    raise ValueError("the table cannot be protected: every cell is already hidden")
