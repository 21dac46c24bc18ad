"""Matching's scoring: each soft term, each hard rule, the reasons, the configuration and its version. No I/O."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from services.matching.domain.config import CONFIGS, CURRENT, config_for
from services.matching.domain.scoring import (
    MenteeCandidate,
    MentorCandidate,
    PairScore,
    score,
    suggest_mentees,
    suggest_mentors,
)

TODAY = date(2026, 11, 27)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "matching.md"


def mentee(n: int = 1, **changes) -> MenteeCandidate:
    base = MenteeCandidate(
        mentee_id=UUID(int=n),
        office="be-gent",
        sector="Q",
        languages=frozenset({"nl", "ar"}),
        day_parts=frozenset({"tue-evening", "thu-morning"}),
        registered_on=TODAY - timedelta(days=30),
    )
    return replace(base, **changes)


def mentor(n: int = 1001, **changes) -> MentorCandidate:
    base = MentorCandidate(
        mentor_id=UUID(int=n),
        office="be-gent",
        experience=(("Q", 15),),
        languages=frozenset({"nl", "en"}),
        day_parts=frozenset({"tue-evening", "thu-morning"}),
        free_capacity=1,
    )
    return replace(base, **changes)


def sector_term(experience: tuple[tuple[str, int], ...], target: str = "Q") -> float:
    return score(mentee(sector=target), mentor(experience=experience), CURRENT, TODAY).terms["sector"]


# --- soft terms ------------------------------------------------------------------------------------------


def test_the_same_sector_beats_a_related_one_which_beats_an_unrelated_one():
    same, related, unrelated = sector_term((("Q", 10),)), sector_term((("P", 10),)), sector_term((("F", 10),))
    assert same > related > unrelated == 0.0
    assert related == pytest.approx(CURRENT.relatedness[frozenset("PQ")] * same)  # the table's share of it


def test_one_year_in_the_mentees_own_sector_beats_a_lifetime_in_a_related_one():
    strongest = max(CURRENT.relatedness.values())
    pair = next(p for p, v in CURRENT.relatedness.items() if v == strongest)
    target, related = sorted(pair)
    assert sector_term(((target, 1),), target) > sector_term(((related, 45),), target)


def test_more_years_score_more_up_to_the_full_credit_and_no_year_scores_nothing():
    full = CURRENT.years_for_full_credit
    by_years = [sector_term((("Q", years),)) for years in (1, 2, 5, 10, full)]
    assert by_years == sorted(by_years) and len(set(by_years)) == len(by_years)
    assert sector_term((("Q", full),)) == sector_term((("Q", 40),)) == pytest.approx(CURRENT.weight_sector)
    assert sector_term((("Q", 1),)) > CURRENT.min_years_credit * CURRENT.weight_sector
    assert sector_term((("Q", 0),)) == 0.0
    assert sector_term(()) == 0.0


def test_the_sector_term_takes_the_mentors_best_experience():
    assert sector_term((("F", 30), ("P", 3), ("Q", 12))) == sector_term((("Q", 12),))
    assert sector_term((("F", 30), ("P", 20))) == sector_term((("P", 20),))


def availability(mentee_parts: set[str], mentor_parts: set[str]) -> float:
    pair = score(mentee(day_parts=frozenset(mentee_parts)), mentor(day_parts=frozenset(mentor_parts)), CURRENT, TODAY)
    return pair.terms["availability"] / CURRENT.weight_availability


def test_availability_is_the_overlap_over_the_shorter_list():
    assert availability({"mon-morning", "tue-evening"}, {"mon-morning", "tue-evening", "sat-morning"}) == 1.0
    assert availability({"mon-morning", "tue-evening"}, {"mon-morning", "wed-evening", "sat-morning"}) == 0.5
    assert availability({"mon-morning"}, {"sun-evening"}) == 0.0


def test_no_day_parts_given_counts_as_flexible_between_no_overlap_and_a_full_one():
    flexible = CURRENT.flexible_availability
    assert availability(set(), {"mon-morning"}) == availability({"mon-morning"}, set()) == flexible
    assert availability(set(), set()) == flexible
    assert 0.0 < flexible < 1.0


def test_the_waiting_term_grows_with_each_day_and_stops_at_full_credit():
    def waiting(days: int) -> float:
        pair = score(mentee(registered_on=TODAY - timedelta(days=days)), mentor(), CURRENT, TODAY)
        return pair.terms["waiting"]

    full = CURRENT.waiting_days_for_full_credit
    assert waiting(0) == 0.0
    assert waiting(1) < waiting(10) < waiting(full - 1) < waiting(full)
    assert waiting(full) == waiting(full * 3) == pytest.approx(CURRENT.weight_waiting)
    assert waiting(-5) == 0.0  # a registration dated after today earns nothing, not a negative credit


def test_the_total_is_the_sum_of_the_weighted_terms_and_lies_between_0_and_1():
    best = score(mentee(registered_on=TODAY - timedelta(days=365)), mentor(experience=(("Q", 40),)), CURRENT, TODAY)
    assert best.feasible and best.total == pytest.approx(1.0) and best.total <= 1.0
    pair = score(mentee(), mentor(experience=(("P", 7),), day_parts=frozenset({"tue-evening"})), CURRENT, TODAY)
    assert set(pair.terms) == {"sector", "availability", "waiting"}
    assert pair.total == pytest.approx(sum(pair.terms.values()))
    assert 0.0 < pair.total < 1.0


# --- hard rules ------------------------------------------------------------------------------------------


def refusals(pair_mentee: MenteeCandidate, pair_mentor: MentorCandidate, **options) -> tuple[str, ...]:
    declined = options.pop("declined", frozenset())
    config = replace(CURRENT, **options) if options else CURRENT
    return score(pair_mentee, pair_mentor, config, TODAY, declined).refusals


def test_a_pair_needs_a_common_language():
    assert refusals(mentee(languages=frozenset({"fr"})), mentor(languages=frozenset({"nl"}))) == ("no_common_language",)
    assert refusals(mentee(languages=frozenset({"fr", "nl"})), mentor(languages=frozenset({"nl"}))) == ()


def test_a_pair_needs_the_same_office_by_default():
    assert refusals(mentee(office="be-gent"), mentor(office="be-aalst")) == ("other_office",)
    assert refusals(mentee(office="be-brussel"), mentor(office="be-brussel")) == ()


def test_the_province_option_allows_offices_of_the_same_province_and_no_further():
    assert refusals(mentee(office="be-gent"), mentor(office="be-aalst"), allow_same_province=True) == ()
    assert refusals(mentee(office="be-gent"), mentor(office="be-antwerpen"), allow_same_province=True) == (
        "other_province",
    )
    # Brussels has no province: the option never joins it to a Flemish office.
    assert refusals(mentee(office="be-brussel"), mentor(office="be-vilvoorde"), allow_same_province=True) == (
        "other_province",
    )
    assert refusals(mentee(office="be-brussel"), mentor(office="be-brussel"), allow_same_province=True) == ()


def test_a_declined_pair_is_never_feasible_again_but_other_pairs_are_unaffected():
    declined = frozenset({(UUID(int=1), UUID(int=1001))})
    assert refusals(mentee(1), mentor(1001), declined=declined) == ("declined_before",)
    assert refusals(mentee(2), mentor(1001), declined=declined) == ()
    assert refusals(mentee(1), mentor(1002), declined=declined) == ()


def test_a_mentor_without_free_capacity_is_refused():
    assert refusals(mentee(), mentor(free_capacity=0)) == ("no_free_capacity",)
    assert refusals(mentee(), mentor(free_capacity=-1)) == ("no_free_capacity",)


def test_an_infeasible_pair_scores_0_but_keeps_its_terms_and_every_broken_rule():
    good = score(mentee(), mentor(), CURRENT, TODAY)
    bad_mentor = mentor(office="be-aalst", languages=frozenset({"fr"}), free_capacity=0)
    bad = score(mentee(), bad_mentor, CURRENT, TODAY, frozenset({(UUID(int=1), UUID(int=1001))}))
    assert not bad.feasible and bad.total == 0.0
    assert bad.refusals == ("no_common_language", "other_office", "declined_before", "no_free_capacity")
    assert bad.terms == good.terms  # the coordinator still sees how well they would fit
    assert good.feasible and good.refusals == () and good.total > 0


# --- reasons ---------------------------------------------------------------------------------------------


def test_reasons_say_in_words_what_each_term_and_each_rule_is_based_on():
    exact = score(mentee(), mentor(experience=(("Q", 30),)), CURRENT, TODAY).reasons
    assert "30 years in Q (Human health and social work activities), the mentee's target" in exact
    assert "2 common day parts: thu-morning, tue-evening (overlap 1.00)" in exact
    assert "waiting 30 days since registration (full credit at 60 days)" in exact
    assert "common language: nl" in exact

    related = score(mentee(), mentor(experience=(("P", 12),), day_parts=frozenset()), CURRENT, TODAY).reasons
    assert (
        "related sector: 12 years in P (Education), which counts 0.5 for the mentee's target "
        "Q (Human health and social work activities)"
    ) in related
    assert "the mentor gave no day parts: counted as flexible (0.5)" in related

    refused = score(
        mentee(), mentor(experience=(("F", 5),), office="be-aalst", languages=frozenset({"fr"})), CURRENT, TODAY
    )
    assert refused.reasons[:2] == (
        "no common language (mentee: ar, nl; mentor: fr)",
        "another office: the mentee is at be-gent, the mentor at be-aalst",
    )
    assert any(r.startswith("no experience in Q") for r in refused.reasons)


def test_a_pair_across_offices_of_one_province_says_so():
    config = replace(CURRENT, allow_same_province=True)
    pair = score(mentee(office="be-gent"), mentor(office="be-aalst"), config, TODAY)
    assert pair.feasible
    assert "same province: the mentee is at be-gent, the mentor at be-aalst" in pair.reasons


# --- configuration ---------------------------------------------------------------------------------------


def test_every_score_records_the_configuration_version_that_made_it():
    assert score(mentee(), mentor(), CURRENT, TODAY).config_version == CURRENT.version
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", CURRENT.version)
    assert CONFIGS[CURRENT.version] is CURRENT is config_for(CURRENT.version)
    with pytest.raises(KeyError, match="unknown matching config version"):
        config_for("1999-01-01.1")


def test_the_current_configuration_is_well_formed_and_read_only():
    assert sum(CURRENT.weights.values()) == pytest.approx(1.0)
    assert set(CURRENT.weights) == {"sector", "availability", "waiting"}
    assert 10 <= len(CURRENT.relatedness) <= 15
    assert max(CURRENT.relatedness.values()) <= CURRENT.min_years_credit
    assert not CURRENT.allow_same_province and CURRENT.proposal_expiry_days == 14
    with pytest.raises(TypeError):
        CURRENT.relatedness[frozenset("AB")] = 0.1  # type: ignore[index]


def test_a_table_passed_as_a_dict_is_copied_so_changing_the_dict_changes_nothing():
    table = {frozenset("PQ"): 0.5}
    config = replace(CURRENT, version="test.1", relatedness=table)
    table[frozenset("PQ")] = 0.1
    assert config.related("P", "Q") == config.related("Q", "P") == 0.5
    assert config.related("Q", "Q") == 1.0 and config.related("Q", "F") == 0.0


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"weight_sector": 0.7}, "weights must sum to 1"),
        ({"weight_sector": 1.2, "weight_availability": -0.2, "weight_waiting": 0.0}, "finite and >= 0"),
        ({"relatedness": {frozenset("PQ"): 0.6}}, "could beat the mentee's own sector"),
        ({"relatedness": {frozenset("QZ"): 0.3}}, "two distinct NACE sections"),
        ({"relatedness": {frozenset("Q"): 0.3}}, "two distinct NACE sections"),
        ({"version": " "}, "version must not be empty"),
        ({"years_for_full_credit": 0}, "must be at least 1"),
    ],
)
def test_a_bad_configuration_is_refused_when_built(changes: dict, problem: str):
    with pytest.raises(ValueError, match=problem):
        replace(CURRENT, **changes)


def test_the_documentation_gives_every_related_pair_of_the_current_table_with_its_value():
    text = DOCS.read_text(encoding="utf-8")
    assert CURRENT.version in text
    for pair, value in CURRENT.relatedness.items():
        first, second = sorted(pair)
        assert re.search(rf"^\| {first} \S.* \| {second} \S.* \| {value} \| \S", text, re.MULTILINE), (first, second)


# --- suggestions -----------------------------------------------------------------------------------------


def test_suggested_mentors_are_feasible_best_first_with_ties_in_id_order_and_limited():
    candidates = [
        mentor(1005, experience=(("P", 15),)),
        mentor(1004, experience=(("Q", 15),)),
        mentor(1003, experience=(("Q", 15),)),
        mentor(1002, experience=(("Q", 40),), languages=frozenset({"fr"})),  # best fit, no common language
        mentor(1001, experience=(("Q", 40),), office="be-aalst"),  # another office
    ]
    suggestions = suggest_mentors(mentee(), candidates, CURRENT, TODAY, limit=10)
    assert [s.mentor_id.int for s in suggestions] == [1003, 1004, 1005]
    assert all(s.mentee_id == UUID(int=1) and isinstance(s.score, PairScore) for s in suggestions)
    assert [s.mentor_id.int for s in suggest_mentors(mentee(), candidates, CURRENT, TODAY, limit=2)] == [1003, 1004]
    declined = frozenset({(UUID(int=1), UUID(int=1003))})
    assert [s.mentor_id.int for s in suggest_mentors(mentee(), candidates, CURRENT, TODAY, declined)] == [1004, 1005]
    assert suggest_mentors(mentee(), [], CURRENT, TODAY) == []
    with pytest.raises(ValueError):
        suggest_mentors(mentee(), candidates, CURRENT, TODAY, limit=-1)


def test_suggested_mentees_put_the_longer_waiting_first_among_equal_fits():
    candidates = [
        mentee(3, registered_on=TODAY - timedelta(days=5)),
        mentee(2, registered_on=TODAY - timedelta(days=50)),
        mentee(1, registered_on=TODAY - timedelta(days=50)),
        mentee(4, registered_on=TODAY - timedelta(days=90), sector="F"),  # waited longest, no sector fit
        mentee(5, languages=frozenset({"fr"})),
    ]
    assert [s.mentee_id.int for s in suggest_mentees(mentor(), candidates, CURRENT, TODAY)] == [1, 2, 3, 4]
    assert suggest_mentees(mentor(free_capacity=0), candidates, CURRENT, TODAY) == []
