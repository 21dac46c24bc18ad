"""`duo branch move`'s refusals before it touches a database, and the parameters of its row conditions."""

from __future__ import annotations

import pytest

from devtool.branch_move.copy import BranchIds, bound
from devtool.branch_move.hosting import record_region, recorded_region, refusal
from devtool.branch_move.tables import BranchRows
from shared.regions import Region
from shared.tenancy import Tenant

FR, BE, NL = Tenant.FR, Tenant.BE, Tenant.NL


def regions(tmp_path, old: Region | None, new: Region | None):
    source, target = tmp_path / "old", tmp_path / "new"
    for home, region in ((source, old), (target, new)):
        home.mkdir()
        if region is not None:
            record_region(home, region)
    return source, target


def test_a_recorded_region_reads_back_as_it_was(tmp_path):
    region = Region("west", frozenset({BE, NL}), {"fr": frozenset({FR})})
    record_region(tmp_path, region)
    assert recorded_region(tmp_path) == region
    assert recorded_region(tmp_path / "elsewhere") is None


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (None, Region("fr", frozenset({FR})), "records no region"),
        (Region("west", frozenset({BE})), None, "records no region"),
        (
            Region("west", frozenset({BE, FR})),
            Region("fr", frozenset({NL})),
            "still hosted by region west",
        ),
        (
            Region("west", frozenset({BE})),
            Region("fr", frozenset({NL})),
            "region fr does not host branch",
        ),
        (Region("west", frozenset({BE})), Region("west", frozenset({FR})), "both data folders are region west"),
    ],
)
def test_a_move_is_refused_naming_why(tmp_path, old, new, why):
    source, target = regions(tmp_path, old, new)
    assert why in (refusal(FR, source, target) or "")


def test_a_frozen_branch_hosted_by_the_new_region_may_move(tmp_path):
    old, new = Region("west", frozenset({BE}), {"fr": frozenset({FR})}), Region("fr", frozenset({FR}))
    assert refusal(FR, *regions(tmp_path, old, new)) is None


def test_a_condition_gets_only_the_parameters_it_names_numbered_from_one():
    ids = BranchIds(["e1"], ["s1"])
    assert bound(BranchRows("t", "tenant = $1"), FR, ids) == ("tenant = $1", ["FR"])
    assert bound(BranchRows("t", "stream_id = ANY($3::text[])"), FR, ids) == ("stream_id = ANY($1::text[])", [["s1"]])
    assert bound(BranchRows("t", "a = $2 OR b = $3 OR c = $2"), FR, ids) == (
        "a = $1 OR b = $2 OR c = $1",
        [["e1"], ["s1"]],
    )
