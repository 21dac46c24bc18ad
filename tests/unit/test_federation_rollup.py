"""The federation's roll-up across regions (services/federation/domain/rollup.py): each branch from its region's
publication, totals summed only from what every region published for that very quarter, a region that is silent
shown stale with its age and its last figures, never as zeros."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.federation.domain.rollup import federation_rollup
from shared.federation_figures import RegionFigures, RegionPublication
from shared.tenancy import Tenant

NOW = datetime(2027, 1, 20, 12, tzinfo=UTC)
Q3, Q4 = date(2026, 9, 30), date(2026, 12, 31)
DEFINITIONS = {"sustainable_work": "sustainable-work-memorandum/v1"}


def publication(
    day: date, rows: dict[str, dict[str, int | None]], definitions: dict[str, dict[str, str]] | None = None
) -> RegionPublication:
    """A region's publication; each branch's definitions `definitions[branch]` (DEFINITIONS when not given)."""
    branches = {Tenant(b) for b in rows if b != "total"}
    return RegionPublication(
        published_on=day,
        definitions={b: (definitions or {}).get(b.value, DEFINITIONS) for b in branches},
        rollup=[(b, h, n) for b, row in rows.items() for h, n in row.items()],
        plan=[],
    )


def figures(region: str, branches: list[Tenant], *publications: RegionPublication, age_s: float = 5) -> RegionFigures:
    return RegionFigures(
        region=region,
        branches=branches,
        sent_at=NOW - timedelta(seconds=age_s),
        plan="memorandum-2024-annex/v1",
        suppressed_below=5,
        publications=list(publications),
    )


WEST_Q3 = publication(
    Q3,
    {
        "BE": {"registered": 40, "duos_ended": 10, "positive_exits": 6},
        "NL": {"registered": 9, "duos_ended": 0, "positive_exits": 0},
        "total": {"registered": 49, "duos_ended": 10, "positive_exits": 6},
    },
)
WEST_Q4 = publication(
    Q4,
    {
        "BE": {"registered": 50, "duos_ended": 20, "positive_exits": 12},
        "NL": {"registered": None, "duos_ended": 0, "positive_exits": 0},
        "total": {"registered": 62, "duos_ended": 20, "positive_exits": 12},
    },
)
FR_Q3 = publication(
    Q3,
    {
        "FR": {"registered": 30, "duos_ended": 5, "positive_exits": None},
        "total": {"registered": 30, "duos_ended": 5, "positive_exits": None},
    },
)
FR_Q4 = publication(
    Q4,
    {
        "FR": {"registered": 35, "duos_ended": 8, "positive_exits": 5},
        "total": {"registered": 35, "duos_ended": 8, "positive_exits": 5},
    },
)
WEST = [Tenant.BE, Tenant.NL]


def test_the_total_is_the_sum_of_the_regions_published_totals_and_hidden_where_one_is_hidden():
    rollup = federation_rollup(
        ["west", "fr"],
        {"west": figures("west", WEST, WEST_Q3, WEST_Q4), "fr": figures("fr", [Tenant.FR], FR_Q3, FR_Q4)},
        NOW,
        180,
    )
    assert rollup["publication"] == "2026-12-31" and rollup["complete"] is True
    assert rollup["total"] == {
        "registered": 97,
        "duos_ended": 28,
        "positive_exits": 17,
        "positive_exit_rate": 0.6071,
        "sustainable_work_rate": None,
    }
    assert rollup["by_branch"]["NL"]["registered"] is None and rollup["by_branch"]["FR"]["region"] == "fr"
    assert rollup["regions"]["fr"] == {
        "branches": ["FR"],
        "publication": "2026-12-31",
        "sent_at": (NOW - timedelta(seconds=5)).isoformat(),
        "age_s": 5.0,
        "stale": False,
    }
    earlier = federation_rollup(
        ["west", "fr"],
        {"west": figures("west", WEST, WEST_Q3, WEST_Q4), "fr": figures("fr", [Tenant.FR], FR_Q3, FR_Q4)},
        NOW,
        180,
        asked=date(2026, 11, 1),
    )
    assert earlier["publication"] == "2026-09-30" and earlier["total"]["registered"] == 79
    assert earlier["total"]["positive_exits"] is None  # FR hid its total: the sum would give it back


def test_a_silent_region_shows_its_last_figures_stale_with_their_age_and_no_total_is_made_up():
    rollup = federation_rollup(
        ["west", "fr"],
        {"west": figures("west", WEST, WEST_Q3, WEST_Q4), "fr": figures("fr", [Tenant.FR], FR_Q3, age_s=4000)},
        NOW,
        180,
    )
    assert rollup["publication"] == "2026-12-31" and rollup["complete"] is False
    assert rollup["regions"]["fr"]["stale"] is True and rollup["regions"]["fr"]["age_s"] == 4000.0
    assert rollup["regions"]["fr"]["publication"] == "2026-09-30"
    assert rollup["by_branch"]["FR"]["registered"] == 30  # its last figures, not zero
    assert set(rollup["total"].values()) == {None}
    never = federation_rollup(["west", "fr"], {"west": figures("west", WEST, WEST_Q3, WEST_Q4)}, NOW, 180)
    assert never["regions"]["fr"] == {
        "branches": None,
        "publication": None,
        "sent_at": None,
        "age_s": None,
        "stale": True,
    }
    assert "FR" not in never["by_branch"] and set(never["total"].values()) == {None}


def _stated(positive_exit: str, sustainable_work: str, mentor_retention: str) -> dict[str, str]:
    return {"positive_exit": positive_exit, "sustainable_work": sustainable_work, "mentor_retention": mentor_retention}


OLD = _stated("positive-exit/v1", "sustainable-work-memorandum/v1", "mentor-retention/v1")
BE_NEW = _stated("positive-exit/v2", "sustainable-work-memorandum/v2", "mentor-retention/v2")
NL_NEW = _stated("positive-exit/v2", "sustainable-work-published/v2", "mentor-retention/v2")
FR_NEW = _stated("positive-exit-from-start/v1", "sustainable-work-agency/v1", "mentor-retention/v2")


def test_each_branchs_definitions_are_those_of_the_publication_its_row_comes_from():
    """The roll-up states, per branch, the definitions its region's publication says its cells were computed under:
    the quarter's, or for a silent region its last one's, never another quarter's nor another branch's."""
    west_rows: dict[str, dict[str, int | None]] = {
        "BE": {"registered": 40, "duos_ended": 10, "positive_exits": 6},
        "NL": {"registered": 9, "duos_ended": 0, "positive_exits": 0},
        "total": {"registered": 49, "duos_ended": 10, "positive_exits": 6},
    }
    west = figures(
        "west",
        WEST,
        publication(Q3, west_rows, {"BE": OLD, "NL": OLD}),
        publication(Q4, west_rows, {"BE": BE_NEW, "NL": NL_NEW}),
    )
    fr_rows: dict[str, dict[str, int | None]] = {
        "FR": {"registered": 30, "duos_ended": 5, "positive_exits": 5},
        "total": {"registered": 30},
    }
    fr_new = figures("fr", [Tenant.FR], publication(Q3, fr_rows, {"FR": OLD}), publication(Q4, fr_rows, {"FR": FR_NEW}))
    rollup = federation_rollup(["west", "fr"], {"west": west, "fr": fr_new}, NOW, 180)
    assert rollup["definitions"] == {"BE": BE_NEW, "FR": FR_NEW, "NL": NL_NEW}
    earlier = federation_rollup(["west", "fr"], {"west": west, "fr": fr_new}, NOW, 180, asked=date(2026, 11, 1))
    assert earlier["publication"] == "2026-09-30" and earlier["definitions"] == dict.fromkeys(["BE", "FR", "NL"], OLD)
    # FR silent since Q3: its row is its Q3 publication's, and so are its definitions.
    fr_silent = figures("fr", [Tenant.FR], publication(Q3, fr_rows, {"FR": OLD}), age_s=4000)
    stale = federation_rollup(["west", "fr"], {"west": west, "fr": fr_silent}, NOW, 180)
    assert stale["regions"]["fr"]["publication"] == "2026-09-30"
    assert stale["definitions"] == {"BE": BE_NEW, "FR": OLD, "NL": NL_NEW}
    never = federation_rollup(["west", "fr"], {"west": west}, NOW, 180)
    assert never["definitions"] == {"BE": BE_NEW, "NL": NL_NEW}  # nothing stated for a branch with no row


def test_a_branch_that_moved_counts_once_from_the_region_hosting_it_now():
    # West hosted FR until it moved to region fr: west's frozen Q3 publication still holds FR's cells, and fr
    # publishes Q3 too from the copied history. FR's row and its share of the total come from fr alone.
    west_before = publication(
        Q3,
        {
            "BE": {"registered": 40, "duos_ended": 10, "positive_exits": 6},
            "FR": {"registered": 30, "duos_ended": 5, "positive_exits": None},
            "total": {"registered": 70, "duos_ended": 15, "positive_exits": 9},
        },
    )
    rollup = federation_rollup(
        ["west", "fr"],
        {"west": figures("west", WEST, west_before), "fr": figures("fr", [Tenant.FR], FR_Q3)},
        NOW,
        stale_after_s=60,
        asked=Q3,
    )
    assert rollup["by_branch"]["FR"]["region"] == "fr" and rollup["by_branch"]["FR"]["registered"] == 30
    assert rollup["total"]["registered"] == 70 and rollup["total"]["duos_ended"] == 15  # not 100 and 20
    # FR's exits were hidden in west's publication: west's total without them cannot be known, so nor can the sum.
    assert rollup["total"]["positive_exits"] is None
    assert set(rollup["definitions"]) == {"BE", "FR"} and rollup["complete"]
