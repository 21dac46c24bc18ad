"""The target-group counts as a funder may see them: small cells hidden, and enough others that no sum gives one
back (domain/disclosure.py), as in the federation's tables. Pure.

Each fact's values add up to the registered mentees, which a funder sees anyway (the applications): so a hidden
value could be worked out from the others unless a complement is hidden too. When the registered mentees are
themselves a small number, every value of the breakdown is hidden: no protection of its parts could hold.
"""

from __future__ import annotations

from services.reporting.domain.definitions import SUPPRESS_BELOW
from services.reporting.domain.disclosure import Sum, hidden_cells, is_small
from services.reporting.domain.figures import Figures, TargetGroups

FACTS = ("neet", "long_term_unemployed", "time_since_last_job")
TOTAL = ("registered", "")
Cell = tuple[str, str]


def protect_target_groups(figures: Figures) -> Figures:
    """The figures with the target-group values a funder may not see set to None."""
    groups = figures.target_groups
    cells: dict[Cell, int] = {TOTAL: groups.registered}
    for fact in FACTS:
        cells |= {(fact, value): n or 0 for value, n in getattr(groups, fact).items()}
    sums = [Sum(TOTAL, tuple(cell for cell in cells if cell[0] == fact)) for fact in FACTS]
    if is_small(groups.registered, SUPPRESS_BELOW):
        hidden = set(cells) - {TOTAL}
    else:
        try:
            hidden = hidden_cells(cells, sums, SUPPRESS_BELOW, fixed=[TOTAL])
        except ValueError:  # no set of complements protects the table: nothing of it is shown
            hidden = set(cells) - {TOTAL}
    shown = TargetGroups(
        registered=groups.registered,
        **{
            fact: {value: None if (fact, value) in hidden else n for value, n in getattr(groups, fact).items()}
            for fact in FACTS
        },
    )
    return figures.model_copy(update={"target_groups": shown})
