"""A few people's way through a region's four services, over their HTTP APIs as any client: mentees registered and
made ready, mentors registered and trained, matching's proposals accepted by both sides, then in tracking a meeting,
a job and the duo's end. Each step returns the ids and personal values it sent, for a search of what is stored where.
The dates are the simulated clock's: the caller moves it before the steps that need a later day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import cast

import httpx

from devtool.demo.simulator import TRAINING
from tests.cli import wait_until
from tests.e2e.test_walking_skeleton import MENTEE

MENTEE_TARGET, MENTEE_AVAILABILITY = cast(dict, MENTEE["job_target"]), cast(dict, MENTEE["availability"])
Sent = dict[str, list[str]]  # "ids" and "values": what a search of another region must not find


def call(url: str, headers: dict[str, str], method: str, path: str, body: dict | None = None) -> dict:
    answer = httpx.request(method, f"{url}{path}", json=body, headers=headers, timeout=30)
    assert answer.status_code in (200, 201), f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json()


def _contact(name: str) -> dict[str, str]:
    """A last name, an e-mail address and a phone number no other person of the test has."""
    tag = uuid.uuid4().hex
    return {
        "first_name": name,
        "last_name": f"{name}-{tag[:6]}",
        "email": f"{name.lower()}-{tag[6:14]}@example.org",
        "phone": f"+33 6 {uuid.UUID(tag).int % 10**8:08d}",
    }


def _sent(found: Sent, person_id: str, contact: dict[str, str]) -> None:
    found["ids"].append(person_id)
    found["values"] += [contact["last_name"], contact["email"], contact["phone"]]


def register_mentees(intake: str, coordinator: dict[str, str], office: str, names: list[str]) -> Sent:
    """Mentees registered at `office`: their ids and every personal value sent."""
    found: Sent = {"ids": [], "values": []}
    for name in names:
        contact = _contact(name)
        _sent(
            found,
            call(intake, coordinator, "POST", "/mentees", {**MENTEE, "office": office, **contact})["mentee_id"],
            contact,
        )
    return found


def make_ready(intake: str, coordinator: dict[str, str], mentee_ids: list[str]) -> None:
    """The steps before matching: the information session, then a suitable intake interview."""
    for mentee_id in mentee_ids:
        call(intake, coordinator, "POST", f"/mentees/{mentee_id}/information-session", {})
        call(intake, coordinator, "POST", f"/mentees/{mentee_id}/intake-interview", {"outcome": "suitable"})


def register_mentors(intake: str, coordinator: dict[str, str], office: str, names: list[str]) -> Sent:
    """Mentors registered at `office` (a duo each, a language and day parts in common with MENTEE), every training
    module done."""
    found: Sent = {"ids": [], "values": []}
    for name in names:
        contact = _contact(name)
        body = {
            **contact,
            "birth_date": "1962-03-14",
            "experience": [{"sector": MENTEE_TARGET["sector"], "years": 25}],
            "languages": ["nl", "fr", "en"],
            "office": office,
            "availability": {"hours_per_week": 3, "day_parts": MENTEE_AVAILABILITY["day_parts"]},
            "capacity": 1,
            "consent": {"data_processing": True, "voluntary_participation": True},
        }
        mentor_id = call(intake, coordinator, "POST", "/mentors", body)["mentor_id"]
        for module in TRAINING:
            call(intake, coordinator, "POST", f"/mentors/{mentor_id}/training-modules", {"module": module})
        _sent(found, mentor_id, contact)
    return found


def form_duos(matching: str, coordinator: dict[str, str], office: str, count: int, on: date) -> list[str]:
    """Matching's rounds at `office` until it proposed `count` pairs (it learns of the people over Kafka, a moment
    after intake), each proposal's first meeting on `on` and both sides accepting: the duos' ids."""
    proposals: list[dict] = []

    def proposed() -> bool:
        proposals.extend(call(matching, coordinator, "POST", "/rounds", {"office": office})["proposals"])
        return len(proposals) >= count

    wait_until(proposed, 120, f"matching proposing {count} pairs at {office}")
    duos = []
    for proposal in proposals:
        path = f"/proposals/{proposal['proposal_id']}"
        call(matching, coordinator, "POST", f"{path}/first-meeting", {"meeting_on": on.isoformat()})
        for side in ("mentee", "mentor"):
            answer = call(matching, coordinator, "POST", f"{path}/answers", {"side": side, "answer": "accept"})
        assert answer["status"] == "formed", answer
        duos.append(answer["duo_id"])
    return duos


def meet_and_end(tracking: str, coordinator: dict[str, str], duo_id: str, met_on: date, ended_on: date) -> None:
    """In tracking, once it learnt of the duo: a meeting on `met_on`, a job found (a permanent contract starting
    that day: a positive exit and sustainable work) and the duo's end on `ended_on`."""

    def known() -> bool:
        return httpx.get(f"{tracking}/duos/{duo_id}", headers=coordinator, timeout=30).status_code == 200

    wait_until(known, 120, f"tracking learning of duo {duo_id}")
    meeting = {"met_on": met_on.isoformat(), "duration_minutes": 90, "mode": "in_person", "topics": ["job_search"]}
    call(tracking, coordinator, "POST", f"/duos/{duo_id}/meetings", meeting)
    job = {"sector": MENTEE_TARGET["sector"], "hours_per_week": 32.0, "started_on": met_on.isoformat()}
    call(tracking, coordinator, "POST", f"/duos/{duo_id}/jobs", job | {"contract_type": "permanent"})
    end = {"ended_on": ended_on.isoformat(), "reason": "mentee_found_work"}
    call(tracking, coordinator, "POST", f"/duos/{duo_id}/end", end)
