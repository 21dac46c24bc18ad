"""A mentor's times out of the programme: what active mentors and mentor retention ask of their withdrawals,
rejoins (MentorRejoined: back on the same id) and erasure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

WITHDRAWN, REJOINED, ERASED = "withdrawn", "rejoined", "erased"


@dataclass(frozen=True)
class Absence:
    """Out of the programme from `left_on` (that day included) until `back_on` (None: not back)."""

    left_on: date
    back_on: date | None = None


def absences(facts: Iterable[tuple[tuple[Any, ...], str, date]]) -> tuple[Absence, ...]:
    """A mentor's absences from their (ledger order, kind, day) facts, taken in the order they happened (by day,
    then as recorded: a withdrawal keyed in late still came before the rejoin that followed it): each withdrawal
    until the rejoin after it (of two withdrawals in a row the last is the word that counts, as before rejoins were
    read), and an erasure, when they were not out already, for good (the first)."""
    out: list[Absence] = []
    since: date | None = None
    erased: date | None = None
    for _, kind, day in sorted(facts, key=lambda f: (f[2], f[0])):
        if kind == WITHDRAWN:
            since = day
        elif kind == REJOINED and since is not None:
            out.append(Absence(since, day))
            since = None
        elif kind == ERASED and erased is None:
            erased = day
    if since is not None:
        out.append(Absence(since))
    elif erased is not None:
        out.append(Absence(erased))
    return tuple(out)


def in_programme(out: Sequence[Absence], day: date) -> bool:
    """Whether a mentor with these absences was in the programme on `day` (their training aside)."""
    return not any(a.left_on <= day and (a.back_on is None or day < a.back_on) for a in out)
