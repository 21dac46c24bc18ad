"""/coordination's answer: the four lists' items as the JSON the database built, spliced into the answer unchanged,
whatever the rest of the answer holds."""

from __future__ import annotations

import json

from services.reporting.api.coordination import _with_lists
from services.reporting.domain.coordination import stated_lists

LISTS = {
    "waiting": (2, '[{"mentee_id" : "m1", "days_waiting" : 3}, {"mentee_id" : "m2", "days_waiting" : 0}]'),
    "proposals": (0, "[]"),
    "inactive": (1, '[{"duo_id" : "d1", "office" : "be-gent"}]'),
    "follow_ups": (5, '[{"duo_id" : "d2", "months" : 6, "due_on" : "2026-01-31"}]'),
}


def test_the_answer_holds_each_lists_items_and_total_and_the_rest() -> None:
    head = {"as_of": "2026-03-31", "branch": "BE", "health": {"services": []}}
    answer = json.loads(_with_lists(head, LISTS))
    assert answer == {**stated_lists(*((total, json.loads(items)) for total, items in LISTS.values())), **head}
    assert answer["follow_ups_due"] == {
        "total": 5,
        "items": [{"duo_id": "d2", "months": 6, "due_on": "2026-01-31"}],
        "definition": "follow-up-due/v1",
    }


def test_a_value_like_the_items_stand_in_elsewhere_in_the_answer_is_left_as_it_is() -> None:
    head = {"health": {"services": [{"service": "intake", "reasons": ["\x00items\x00"]}]}}
    answer = json.loads(_with_lists(head, LISTS))
    assert answer["health"] == head["health"]
    assert answer["waiting_mentees"]["items"] == json.loads(LISTS["waiting"][1])
