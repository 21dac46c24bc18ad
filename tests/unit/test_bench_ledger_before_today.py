"""The reads bench's ledger lies before today, as a ledger does: its block is moved back by whole eras."""

from __future__ import annotations

from datetime import date

from bench.reads import ERA_YEARS, _years_back

TODAY = date(2026, 12, 7)


def test_the_block_is_moved_back_by_the_fewest_eras_that_put_its_last_fact_before_today():
    assert _years_back(date(2026, 12, 6), TODAY) == 0
    assert _years_back(TODAY, TODAY) == ERA_YEARS  # today's facts are not all told yet
    assert _years_back(date(2029, 1, 2), TODAY) == ERA_YEARS
    assert _years_back(date(2031, 2, 28), TODAY) == 2 * ERA_YEARS
    assert _years_back(date(2028, 2, 29), TODAY) == ERA_YEARS  # a 29 February moved by 4 years stays a date
