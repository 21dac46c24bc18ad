"""The programme simulator: it drives the four services only through their public HTTP APIs, with tokens
like any client, one simulated month at a time, and moves the platform's simulated calendar as it goes.

Each month: mentees and mentors register (mentors train), every office runs matching rounds until the
month's duos are formed (declined pairs are re-matched), the first meeting decides, duos meet weekly
(some weeks missed), reach an outcome, answer the surveys, end, and are followed up 3, 6 and 12 months on.

Repeatable: every random decision about a person is drawn from a generator of its own, seeded with the run's
seed and the person's number in the run (mentees and mentors are numbered in the order the scenario makes
them), never from one generator shared by concurrent requests, whose order of draws would follow the
network's timing. So a seed gives the same people, the same answers at first meetings, the same meetings,
outcomes and surveys; which mentor a mentee is matched with is the matching service's decision.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import aiohttp

from devtool.demo import people
from devtool.demo.scenario import AREA_OFFICES, Scenario
from shared.events.catalog import MeetingTopic
from shared.tenancy import OFFICES

BRUSSELS = ZoneInfo("Europe/Brussels")
TRAINING = (
    "intercultural_communication",
    "socio_professional_landscape",
    "active_listening",
    "migration_and_refugee_journey",
    "role_of_the_mentor",
    "job_search_and_recruitment",
    "career_action_plan",
    "code_of_conduct",
)
TOPICS: tuple[str, ...] = get_args(MeetingTopic)  # the catalog's fixed list of what a meeting is about
DECLINES = ("no_personal_click", "availability", "expectations", "personal_circumstances")
CONCURRENCY = 12  # requests in flight at once: the two cores stay busy, no service is flooded
POLL_S = 0.05  # between reads of what another service learns over Kafka (a tenth of a second at most)
RETRIED_STATUSES = frozenset({502, 503, 504})  # the service, or what it needs, is down for a moment
FIRST_PAUSE_S, MAX_PAUSE_S = 0.1, 2.0  # between tries of one request: doubling, then steady
MAX_ROUNDS = 800  # rounds of one month before the run gives up
# Time to match: public figures give 15 days to a month from intake to the first meeting (docs/domain.md, section 1).
# A month's mentees register on one of these days (each drawn from the mentee's own generator) and are matched on
# MATCH_DAY: 22, 19 or 15 days later.
REGISTRATION_DAYS = (1, 4, 8)
MATCH_DAY = 23
SUGGESTIONS = 50  # the most suggestions matching gives at once for one person
BOARD = 500  # the most suggestions matching's office board gives each mentee
# Mentees of an office waiting in matching at once: fewer than SUGGESTIONS, so that a mentor's suggestions always
# list every one of them (`pool_known`). An office's further mentees of the month have their intake interview on
# the match day, as places free up (at the full plan, Brussels's busiest months: up to 55 mentees).
WAITING_AT_ONCE = SUGGESTIONS - 1
SHEETS_AT_ONCE = 25  # duos a request to tracking (its batch takes 50): a month's requests still overlap
RETRY_FOR_S = 180.0  # a part killed under load is back within seconds; a minute more is a real outage
# A dropped or refused connection, an answer cut off, no answer in time: the request is tried again.
TRANSPORT_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


def area_offices() -> dict[str, list[str]]:
    """The offices of each area a scenario may plan: the three Flemish provinces and Brussels, and the provinces of
    the other branches (devtool/demo/scenario.py)."""
    return {area: list(offices) for area, offices in AREA_OFFICES.items()}


_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)")
_OFFICE = re.compile(r"/offices/[a-z-]+")  # an office board: one route, whichever office


def route_of(path: str) -> str:
    """A request's route, its ids as {id} and its query left off: `/duos/{id}/meetings/batch`."""
    return _OFFICE.sub("/offices/{office}", _ID.sub("/{id}", path.partition("?")[0]))


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (a month's share of a year's duos; never half to even)."""
    return (2 * numerator + denominator) // (2 * denominator)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


@dataclass
class Duo:
    duo_id: str
    office: str
    mentor_id: str
    mentee: int  # the mentee's number in the run: the key of every draw about this duo
    formed_on: date
    ends_on: date
    outcome: str  # sustainable_job | other_job | training | internship | none
    stopped_early: bool
    ended_on: date | None = None
    follow_ups: set[int] = field(default_factory=set)
    known_to_tracking: bool = False


@dataclass
class Mentor:
    mentor_id: str
    office: str
    capacity: int
    number: int  # its number in the run: the key of its draws
    busy: int = 0
    active: bool = True
    duos_ended: int = 0


@dataclass
class Result:
    """What the run did, to compare with what the platform reports."""

    formed: dict[tuple[str, int], int] = field(default_factory=dict)
    target: dict[tuple[str, int], int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0  # tries again after a dropped connection or a 502/503/504
    # Every try by (service, method, route with its ids as {id}, status; 0: no answer): what `--profile` prints.
    tries: dict[tuple[str, str, str, int], int] = field(default_factory=dict)
    waits: int = 0  # pauses of the simulator's own polls (suggestions not caught up yet)
    duos_ended: int = 0
    positive: int = 0
    sustainable: int = 0


class Simulator:
    """Runs a scenario against running services (their base URLs) on the simulated clock in `clock_file`, with
    `tokens` of each branch of the scenario, by role (`{"BE": {"coordinator": ...}}`)."""

    def __init__(
        self,
        scenario: Scenario,
        scale: float,
        urls: dict[str, str],
        tokens: Mapping[str, Mapping[str, str]],
        clock_file: Path,
        progress: Callable[[str, float], None] = lambda what, share: None,
        seed: int | None = None,
    ) -> None:
        self.scenario, self.urls, self.tokens, self.clock_file = scenario, urls, tokens, clock_file
        self.targets = scenario.scaled(scale)
        self.seed = scenario.seed if seed is None else seed
        self.progress = progress
        self.areas = area_offices()
        self.mentors: dict[str, Mentor] = {}
        self.duos: dict[str, Duo] = {}
        self.result = Result()
        self.numbers: dict[str, int] = {}
        self.number_of: dict[str, int] = {}  # mentee id -> its number in the run
        self.proposals_of: dict[int, int] = {}  # mentee number -> proposals answered so far
        self.declined: dict[str, set[str]] = {}  # mentee id -> mentors of its declined proposals
        self._gate = asyncio.Semaphore(CONCURRENCY)

    def rng(self, *key: object) -> random.Random:
        """The generator of one decision (or one person), from the seed and its key: the same in every run."""
        return random.Random(":".join(map(str, (self.seed, *key))))

    # --- HTTP, as any client -------------------------------------------------------------------------

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        office: str,
        role: str = "coordinator",
        missing_ok: bool = False,
        lagging_rule: str | tuple[str, ...] = (),
    ) -> dict | None:
        """One request, retried as a careful client retries: a dropped connection or a service answering
        502/503/504 (restarting, or its database or broker down) is tried again after a growing pause, up to
        `RETRY_FOR_S`. A command carries one Idempotency-Key over all its tries, so a retry of a command the
        service did carry out (its answer lost) is answered from the service's record, never done twice.
        `lagging_rule`: a 409 or 404 naming that rule (or one of those) is tried again too, the service not having
        read yet over Kafka what the simulator already did (a duo's end, after the service restarted; a duo just
        formed; a mentee's intake interview).
        `office`: where the person, proposal or duo is, whose branch's token is sent (a region may host several
        branches)."""
        headers = {"Authorization": f"Bearer {self.tokens[OFFICES[office][0].value][role]}"}
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        deadline = asyncio.get_running_loop().time() + RETRY_FOR_S
        lagging_rules = (lagging_rule,) if isinstance(lagging_rule, str) else lagging_rule
        for attempt in itertools.count(1):
            try:
                async with (
                    self._gate,
                    self.client.request(method, f"{self.urls[service]}{path}", json=body, headers=headers) as answer,
                ):
                    status, text = answer.status, await answer.text()
                self.tally(service, method, path, status)
                lagging = status in (404, 409) and any(f'"rule":"{rule}"' in text for rule in lagging_rules)
                if status not in RETRIED_STATUSES and not lagging:
                    break
                failure = f"{status} {text[:300]}"
            except TRANSPORT_ERRORS as err:
                self.tally(service, method, path, 0)
                failure = f"{type(err).__name__}: {err}"
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{service} {method} {path}: still failing after {RETRY_FOR_S:.0f} s: {failure}")
            self.result.retries += 1
            await asyncio.sleep(min(MAX_PAUSE_S, FIRST_PAUSE_S * 2 ** min(attempt - 1, 8)))
        self.result.requests += 1
        if missing_ok and status == 404:
            return None
        if status >= 400:
            raise RuntimeError(f"{service} {method} {path}: {status} {text[:300]}")
        return json.loads(text)

    def tally(self, service: str, method: str, path: str, status: int) -> None:
        key = (service, method, route_of(path), status)
        self.result.tries[key] = self.result.tries.get(key, 0) + 1

    def set_clock(self, day: date, hour: int = 10) -> None:
        self.today = day
        self.clock_file.write_text(datetime.combine(day, time(hour), BRUSSELS).isoformat())

    # --- the run -------------------------------------------------------------------------------------

    async def run(self) -> Result:
        years = self.scenario.years
        months = [(year, month) for year in years for month in range(1, 13)]
        tail = self.scenario.mentoring.months + 1  # months after the last formation: every duo ends
        # aiohttp rather than httpx: at a dozen requests in flight, httpx's connection pool spent about 2 ms of
        # CPU a request and let through under 100 requests a second to a server answering at once; aiohttp
        # spent 0.15 ms and let through 1,400 (docs/performance.md, section 7).
        pool = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60), connector=pool) as self.client:
            for index, (year, month) in enumerate(months):
                await self.month(year, month, quota=self.quota(year, month))
                self.progress(f"{year}-{month:02d}", (index + 1) / (len(months) + tail))
            last = date(years[-1], 12, 1)
            for extra in range(1, tail + 1):
                day = add_months(last, extra)
                await self.month(day.year, day.month, quota={})
                self.progress(f"{day.year}-{day.month:02d}", (len(months) + extra) / (len(months) + tail))
        return self.result

    def quota(self, year: int, month: int) -> dict[str, int]:
        """Duos each office forms this month: the year's target spread evenly over its months, exactly."""
        index = year - self.scenario.first_year
        by_office: dict[str, int] = {}
        for area, years in self.targets.items():
            total = years[index]
            self.result.target[(area, year)] = total
            count = _half_up(total * month, 12) - _half_up(total * (month - 1), 12)
            offices = self.areas[area]
            for i in range(count):
                office = offices[(month * 7 + i) % len(offices)]
                by_office[office] = by_office.get(office, 0) + 1
        return by_office

    async def month(self, year: int, month: int, quota: dict[str, int]) -> None:
        waiting, held = await self.register(year, month, quota)
        self.set_clock(date(year, month, MATCH_DAY))
        await self.match(waiting, held)
        self.set_clock(date(year, month, 28), hour=18)
        await self.follow_duos()

    async def register(
        self, year: int, month: int, quota: dict[str, int]
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """The month's mentees, each on its registration day, and on the first of them mentors enough for them
        (trained the same day). Each office's first `WAITING_AT_ONCE` mentees (by number) have their intake
        interview the day they register and wait to be matched; the office's others are held, by number, for an
        interview on the match day (`match`). Returns those waiting and those held, by office."""
        waiting: dict[str, list[str]] = {}
        held: dict[str, dict[int, str]] = {}
        numbers = [(o, self.next_number("mentee")) for o, n in quota.items() for _ in range(n)]
        of_office: dict[str, list[int]] = {}
        for office, number in numbers:
            of_office.setdefault(office, []).append(number)
        interviewed = {number for office_numbers in of_office.values() for number in office_numbers[:WAITING_AT_ONCE]}

        async def one_mentee(office: str, number: int) -> None:
            body = people.mentee(self.rng("mentee", number), office, self.today, number)
            answer = await self.call("intake", "POST", "/mentees", body, office=office)
            assert answer is not None
            mentee_id = answer["mentee_id"]
            self.number_of[mentee_id] = number
            # The steps before matching: the information session, then the intake interview.
            path = f"/mentees/{mentee_id}"
            await self.call("intake", "POST", f"{path}/information-session", {}, office=office)
            if number not in interviewed:
                held.setdefault(office, {})[number] = mentee_id
                return
            await self.interview(office, mentee_id)
            waiting.setdefault(office, []).append(mentee_id)

        on_day: dict[int, list[tuple[str, int]]] = {}
        for office, number in numbers:
            on_day.setdefault(self.rng("registration-day", number).choice(REGISTRATION_DAYS), []).append(
                (office, number)
            )
        for index, day in enumerate(REGISTRATION_DAYS):
            self.set_clock(date(year, month, day))
            mentors = [self.recruit(office, n) for office, n in quota.items()] if index == 0 else []
            await asyncio.gather(*(one_mentee(o, number) for o, number in on_day.get(day, [])), *mentors)
        return waiting, {office: [by_number[n] for n in sorted(by_number)] for office, by_number in held.items()}

    async def interview(self, office: str, mentee_id: str) -> None:
        """The intake interview, the last step before matching: the mentee waits to be matched from then on."""
        path = f"/mentees/{mentee_id}/intake-interview"
        await self.call("intake", "POST", path, {"outcome": "suitable"}, office=office)

    async def let_wait(self, left: dict[str, set[str]], held: dict[str, list[str]]) -> None:
        """Each office's held mentees interviewed, first come first, until `WAITING_AT_ONCE` of its mentees wait."""
        called = []
        for office in sorted(held):
            places = max(0, WAITING_AT_ONCE - len(left.get(office, ())))
            called += [(office, mentee_id) for mentee_id in held[office][:places]]
            held[office] = held[office][places:]
        await asyncio.gather(*(self.interview(office, mentee_id) for office, mentee_id in called))
        for office, mentee_id in called:
            left.setdefault(office, set()).add(mentee_id)
        for office in [o for o, mentees in held.items() if not mentees]:
            del held[office]

    def next_number(self, kind: str) -> int:
        """Mentees and mentors are numbered apart: an extra mentor (recruited when the mentees of an office
        declined every free mentor) never shifts the numbers, and so the draws, of the mentees."""
        self.numbers[kind] = self.numbers.get(kind, 0) + 1
        return self.numbers[kind]

    async def recruit(self, office: str, needed: int) -> None:
        """New mentors until the office's free places cover what it needs (continuing mentors come first)."""
        free = sum(m.capacity - m.busy for m in self.mentors.values() if m.office == office and m.active)
        await asyncio.gather(*(self.new_mentor(office) for _ in range(max(0, needed - free))))

    async def new_mentor(self, office: str) -> None:
        number = self.next_number("mentor")
        body = people.mentor(self.rng("mentor", number), office, self.today, number)
        answer = await self.call("intake", "POST", "/mentors", body, office=office)
        assert answer is not None
        path = f"/mentors/{answer['mentor_id']}/training-modules/batch"  # the training days, in one request
        await self.call("intake", "POST", path, {"modules": [{"module": m} for m in TRAINING]}, office=office)
        self.mentors[answer["mentor_id"]] = Mentor(answer["mentor_id"], office, body["capacity"], number)

    async def match(self, waiting: dict[str, list[str]], held: dict[str, list[str]] | None = None) -> None:
        """Proposals at every office with waiting mentees, until each is in a duo; declines are matched again.

        The coordinator proposes, for each waiting mentee in the order they registered, the mentor matching
        scores best among those still free (of equal scores, the one recruited first), once matching's pool
        holds what the simulator did (it lags over Kafka, more so while a part restarts). So the pairs are the
        same in every run of the seed, whatever the timing: a round would break equal scores by record id, and
        ids are new in every run. An office with no pair to propose has mentees who declined every free mentor:
        it recruits one. `held`: mentees interviewed (and so waiting) only as places free up (`WAITING_AT_ONCE`)."""
        left = {office: set(ids) for office, ids in waiting.items() if ids}
        held = {office: list(ids) for office, ids in (held or {}).items() if ids}
        for _ in range(MAX_ROUNDS):
            await self.let_wait(left, held)
            if not left:
                return
            offices = sorted(left)
            picked = await asyncio.gather(*(self.pick(o, left[o]) for o in offices))
            pairs = [(o, pair) for o, office_pairs in zip(offices, picked, strict=True) for pair in office_pairs]
            proposals = await asyncio.gather(
                *(
                    self.call(
                        "matching",
                        "POST",
                        "/proposals",
                        {"mentee_id": m, "mentor_id": f},
                        office=o,
                        # The mentor's last end or training, or the mentee's intake interview, not read by matching
                        # yet (a mentor's training is read in `pool_known` only when the mentees' lists are read).
                        lagging_rule=("no_free_capacity", "mentee_waiting", "mentor_available"),
                    )
                    for o, (m, f) in pairs
                )
            )
            outcomes = await asyncio.gather(*(self.first_meeting(p) for p in proposals if p is not None))
            for proposal, formed in zip(proposals, outcomes, strict=True):
                assert proposal is not None
                if formed:
                    left[proposal["office"]].discard(proposal["mentee_id"])
                else:
                    self.declined.setdefault(proposal["mentee_id"], set()).add(proposal["mentor_id"])
            await asyncio.gather(
                *(self.new_mentor(o) for o, office_pairs in zip(offices, picked, strict=True) if not office_pairs)
            )
            left = {o: ids for o, ids in left.items() if ids}
        raise RuntimeError(f"mentees still unmatched after {MAX_ROUNDS} rounds: {left}")

    async def pick(self, office: str, mentees: set[str]) -> list[tuple[str, str]]:
        """The pairs to propose at the office: (mentee id, mentor id), from matching's suggestions."""
        suggested = await self.pool_known(office, mentees)
        room = {f: self.mentors[f].capacity - self.mentors[f].busy for f in self.free_mentors(office)}
        pairs = []
        for mentee_id in sorted(mentees, key=self.number_of.__getitem__):
            options = [
                (-item["score"], self.mentors[item["person_id"]].number, item["person_id"])
                for item in suggested[mentee_id]
                if room.get(item["person_id"], 0) > 0
            ]
            if options:
                mentor_id = min(options)[2]
                room[mentor_id] -= 1
                pairs.append((mentee_id, mentor_id))
        return pairs

    def free_mentors(self, office: str) -> set[str]:
        """The office's trained, active mentors with room for a duo, as the simulator left them."""
        return {m.mentor_id for m in self.mentors.values() if m.office == office and m.active and m.busy < m.capacity}

    async def pool_known(self, office: str, mentees: set[str]) -> dict[str, list[dict]]:
        """Matching's suggestions for each waiting mentee of the office, once its pool holds what the simulator
        did: every pair's score, for `pick`. Suggestions list every feasible counterpart (in the demo: same office,
        not declined, free, trained and waiting), so each waiting mentee must be offered exactly the free mentors it
        did not decline (every mentor's training and every answer arrived). They come from the office's board, one
        read for all its waiting mentees (`board`), which lists a mentee only once matching read its intake
        interview; a proposal for a mentor whose last end matching has not read is refused (409) and tried again.

        A mentee's list may be cut (at `BOARD` free mentors or more), and the cut falls among mentors of equal
        score in the order of their record ids, new in every run: which mentor `pick` chose would then follow the
        ids, and the mentor's fate with it (mentor retention moved by one at the full plan, when the lists were cut
        at `SUGGESTIONS`). So then every free mentor's list is read instead, each whole (fewer than `SUGGESTIONS`
        mentees wait at an office at once: `WAITING_AT_ONCE`) and each until it lists the mentees expected; a pair
        scores the same from either side. A mentor whose training matching has not read yet lists its mentees all
        the same: the proposal is refused (409, `mentor_available`) and tried again."""
        deadline = asyncio.get_running_loop().time() + RETRY_FOR_S
        free = self.free_mentors(office)

        def not_declined(mentee_id: str, mentor_id: str) -> bool:
            return mentor_id not in self.declined.get(mentee_id, ())

        of_mentee = {m: {f for f in free if not_declined(m, f)} for m in sorted(mentees)}
        if all(len(expected) < BOARD for expected in of_mentee.values()):
            return await self.board(office, of_mentee, deadline)
        of_mentor = {f: {m for m in mentees if not_declined(m, f)} for f in sorted(free)}
        found = await asyncio.gather(
            *(self.offered(office, f"mentors/{f}", expected, deadline) for f, expected in of_mentor.items())
        )
        suggested: dict[str, list[dict]] = {m: [] for m in of_mentee}
        for mentor_id, items in zip(of_mentor, found, strict=True):
            for item in items:
                suggested[item["person_id"]].append({"person_id": mentor_id, "score": item["score"]})
        return suggested

    async def board(self, office: str, expected: dict[str, set[str]], deadline: float) -> dict[str, list[dict]]:
        """Poll the office's matching board (every waiting mentee with their suggestions, one request) until it lists
        each of the mentees `expected` with exactly the mentors expected for them: fewer than `BOARD`, never cut. A
        mentee matching does not hold as waiting yet (its intake interview still on its way) is not listed."""
        board = f"/suggestions/offices/{office}?limit={BOARD}"
        while True:
            found = await self.call("matching", "GET", board, office=office)
            assert found is not None
            listed = {m["mentee_id"]: m["items"] for m in found["mentees"]}
            if all(listed.get(m) is not None and {i["person_id"] for i in listed[m]} == e for m, e in expected.items()):
                return {m: listed[m] for m in expected}
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"matching's board of {office} did not catch up within {RETRY_FOR_S:.0f} s")
            self.result.waits += 1
            await asyncio.sleep(POLL_S)

    async def offered(self, office: str, path: str, expected: set[str], deadline: float) -> list[dict]:
        """Poll matching's suggestions at `path` until they are `expected`: fewer than `SUGGESTIONS`, never cut."""
        if len(expected) >= SUGGESTIONS:
            raise ValueError(f"{path}: {len(expected)} suggestions expected, more than matching lists at once")
        suggestions = f"/suggestions/{path}?limit={SUGGESTIONS}"
        while True:
            found = await self.call("matching", "GET", suggestions, office=office, missing_ok=True)
            if found is not None and {item["person_id"] for item in found["items"]} == expected:
                return found["items"]
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"matching's suggestions for {path} did not catch up within {RETRY_FOR_S:.0f} s")
            self.result.waits += 1
            await asyncio.sleep(POLL_S)

    async def first_meeting(self, proposal: dict) -> bool:
        pid, p, office = proposal["proposal_id"], self.scenario.probabilities, proposal["office"]
        number = self.number_of[proposal["mentee_id"]]
        tried = self.proposals_of[number] = self.proposals_of.get(number, 0) + 1
        rng = self.rng("first-meeting", number, tried)  # drawn before any request: no timing in it
        mentee_says, mentor_says = rng.random() < p.mentee_accepts, rng.random() < p.mentor_accepts
        reason = rng.choice(DECLINES)
        # What each side said at the meeting, with it: one request (a decline closes the proposal, so it comes last).
        decline = {"answer": "decline", "reason": reason}
        answers = [{"side": "mentee"} | ({"answer": "accept"} if mentee_says else decline)]
        if mentee_says:
            answers.append({"side": "mentor"} | ({"answer": "accept"} if mentor_says else decline))
        meeting = {"meeting_on": self.today.isoformat(), "answers": answers}
        answer = await self.call("matching", "POST", f"/proposals/{pid}/first-meeting", meeting, office=office)
        if not (mentee_says and mentor_says):
            return False
        assert answer is not None and answer["status"] == "formed"
        self.duo_formed(answer, number)
        return True

    def duo_formed(self, proposal: dict, mentee: int) -> None:
        p, months = self.scenario.probabilities, self.scenario.mentoring.months
        rng = self.rng("fate", mentee)
        stopped = rng.random() < p.stopped_early
        ends_on = add_months(self.today, rng.randint(1, months - 1) if stopped and months > 1 else months)
        draw = rng.random()
        outcome = (
            "sustainable_job"
            if draw < p.sustainable_work
            else rng.choice(("other_job", "training", "internship"))
            if draw < p.positive_exit
            else "none"
        )
        self.duos[proposal["duo_id"]] = Duo(
            proposal["duo_id"],
            proposal["office"],
            proposal["mentor_id"],
            mentee,
            self.today,
            ends_on,
            outcome,
            stopped,
        )
        self.mentors[proposal["mentor_id"]].busy += 1
        area = next(a for a, offices in self.areas.items() if proposal["office"] in offices)
        key = (area, self.today.year)
        self.result.formed[key] = self.result.formed.get(key, 0) + 1

    async def follow_duos(self) -> None:
        """The month in tracking: each running duo's sheet (the plan for a new duo, the weekly meetings, then its
        end if it is due) and each ended duo's follow-ups due, sent a branch's `SHEETS_AT_ONCE` duos a request
        (`POST /duos/batch`, all or none: the same facts as one request per duo and fact, a fortieth of the calls)."""
        running = [d for d in self.duos.values() if d.ended_on is None]
        ended = [d for d in self.duos.values() if d.ended_on is not None]
        sheets = [(d, self.month_sheet(d)) for d in running] + [(d, self.follow_up_sheet(d)) for d in ended]
        # The duos tracking may not have read yet go first: a batch refused for one of them (404, sent again once
        # tracking read it) is refused before the work on the others, and the batches after it are not refused.
        sheets = sorted(((d, s) for d, s in sheets if len(s) > 1), key=lambda item: item[0].known_to_tracking)
        by_branch: dict[str, list[tuple[Duo, dict]]] = {}
        for duo, sheet in sheets:
            by_branch.setdefault(OFFICES[duo.office][0].value, []).append((duo, sheet))
        await asyncio.gather(
            *(
                self.send_sheets(items[i : i + SHEETS_AT_ONCE])
                for items in by_branch.values()
                for i in range(0, len(items), SHEETS_AT_ONCE)
            )
        )
        await self.mentors_after([d for d in running if d.ended_on is not None])

    async def send_sheets(self, batch: list[tuple[Duo, dict]]) -> None:
        """One request of a branch's sheets; tried again while tracking has not read a duo's formation yet (404 on
        its id): no read of the duo first."""
        body = {"sheets": [sheet for _, sheet in batch]}
        await self.call("tracking", "POST", "/duos/batch", body, office=batch[0][0].office, lagging_rule="known_id")
        for duo, sheet in batch:
            duo.known_to_tracking = True
            duo.follow_ups |= {f["months"] for f in sheet.get("follow_ups", ())}
            if "end" in sheet:
                duo.ended_on = self.today
                self.result.duos_ended += 1
                self.result.positive += duo.outcome != "none"
                self.result.sustainable += duo.outcome == "sustainable_job"

    def month_sheet(self, duo: Duo) -> dict:
        """A running duo's month: its plan when it is new, its meetings (the month from the mentor's logbook, as a
        coordinator enters it), and its outcome, surveys and end when it is due."""
        sheet: dict = {"duo_id": duo.duo_id}
        if not duo.known_to_tracking:
            sheet["action_plan"] = {
                "drawn_up_on": duo.formed_on.isoformat(),
                "goals": ["find_job_in_sector", "cv_ready"],
            }
        rng = self.rng("meetings", duo.mentee, self.today.year, self.today.month)
        meetings = []
        for day in (7, 14, 21, 28):
            met_on = self.today.replace(day=day)
            missed = rng.random() < self.scenario.probabilities.meeting_missed
            meeting = {
                "met_on": met_on.isoformat(),
                "duration_minutes": rng.choice((60, 90, 120, 150)),
                "mode": rng.choices(("in_person", "online", "phone"), (6, 3, 1))[0],
                "topics": rng.sample(TOPICS, k=rng.randint(1, 3)),
            }
            if not missed and duo.formed_on < met_on <= duo.ends_on:
                meetings.append(meeting)
        if meetings:
            sheet["meetings"] = meetings
        if duo.ends_on <= self.today:
            sheet |= self.end_sheet(duo)
        return sheet

    def end_sheet(self, duo: Duo) -> dict:
        """A duo's end: its outcome (a job, a training, an internship or none), both surveys and the end."""
        p, day = self.scenario.probabilities, self.today
        rng = self.rng("end", duo.mentee)
        sheet: dict = {
            "mentee_survey": {
                "more_self_confidence": rng.random() < p.more_self_confidence,
                "more_autonomous_job_search": rng.random() < p.more_autonomous_job_search,
                "mentor_helped_with_problems": rng.random() < p.mentor_helped_with_problems,
            },
            "mentor_survey": {
                "feels_useful": rng.random() < p.mentor_feels_useful,
                "adds_professional_value": rng.random() < p.mentor_professional_value,
            },
        }
        started = max(duo.formed_on + timedelta(days=1), day - timedelta(days=3)).isoformat()
        job = {"sector": "Q", "hours_per_week": 32.0, "started_on": started}
        if duo.outcome == "sustainable_job":
            contract = rng.choice(
                (
                    {"contract_type": "permanent"},
                    {"contract_type": "fixed_term", "contract_months": rng.choice((6, 12))},
                )
            )
            sheet["job"] = job | contract
        elif duo.outcome == "other_job":
            sheet["job"] = job | {"contract_type": "fixed_term", "contract_months": 2}
        elif duo.outcome == "training":
            sheet["training"] = {"started_on": started, "qualifying": True}
        elif duo.outcome == "internship":
            sheet["internship"] = {"started_on": started}
        reason = (
            "lost_contact" if duo.stopped_early else "mentee_found_work" if duo.outcome.endswith("job") else "completed"
        )
        sheet["end"] = {"ended_on": day.isoformat(), "reason": reason}
        return sheet

    async def mentors_after(self, ended: list[Duo]) -> None:
        """The mentors of the duos that ended, in the order of their mentees' numbers (never the network's): each
        end, the mentor decides once whether to continue. One who does not takes no new duo (their capacity lowered
        to the duos they still have, so that matching offers them no other) and withdraws once the last one ended.
        One request per mentor, after the decisions: two ends of a mentor's duos on one day never race."""
        p = self.scenario.probabilities
        calls: dict[str, tuple[str, str, dict]] = {}
        for duo in sorted(ended, key=lambda d: d.mentee):
            mentor = self.mentors[duo.mentor_id]
            mentor.busy -= 1
            mentor.duos_ended += 1
            if mentor.active:
                draw = self.rng("mentor-continues", mentor.number, mentor.duos_ended).random()
                mentor.active = draw < p.mentor_continues
            if not mentor.active:
                path = f"/mentors/{mentor.mentor_id}"
                calls[mentor.mentor_id] = (
                    ("PATCH", path, {"capacity": mentor.busy})
                    if mentor.busy
                    else ("POST", f"{path}/withdrawal", {"reason": "personal_circumstances"})
                )
        await asyncio.gather(
            *(
                self.call("intake", method, path, body, office=self.mentors[mentor_id].office)
                for mentor_id, (method, path, body) in calls.items()
            )
        )

    def follow_up_sheet(self, duo: Duo) -> dict:
        """An ended duo's follow-ups due by now and not yet recorded (3, 6 and 12 months after the end)."""
        assert duo.ended_on is not None
        status = {"sustainable_job": "employed", "other_job": "employed", "training": "in_training"}.get(
            duo.outcome, "job_seeking"
        )
        due = [m for m in (3, 6, 12) if m not in duo.follow_ups and add_months(duo.ended_on, m) <= self.today]
        sheet: dict = {"duo_id": duo.duo_id}
        if due:
            sheet["follow_ups"] = [{"months": months, "status": status} for months in due]
        return sheet
