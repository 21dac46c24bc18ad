"""The programme simulator: it drives the four services only through their public HTTP APIs, with tokens
like any client, one simulated month at a time, and moves the platform's simulated calendar as it goes.

Each month: mentees and mentors register (mentors train), every office runs matching rounds until the
month's duos are formed (declined pairs are re-matched), the first meeting decides, duos meet weekly
(some weeks missed), reach an outcome, answer the surveys, end, and are followed up 3, 6 and 12 months on.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from shared.infra.demo import people
from shared.infra.demo.scenario import Scenario
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
TOPICS = (
    "job_search",
    "cv_and_applications",
    "interview_preparation",
    "administration",
    "social",
    "health",
    "finance",
    "digital_skills",
    "housing",
    "legal",
    "training",
    "network",
)
DECLINES = ("no_personal_click", "availability", "expectations", "personal_circumstances")
CONCURRENCY = 8


def area_offices() -> dict[str, list[str]]:
    """The offices of each area of the plan: the three Flemish provinces, and Brussels."""
    areas: dict[str, list[str]] = {}
    for office, (tenant, region, province) in sorted(OFFICES.items()):
        if tenant.value != "BE":
            continue
        if region == "Flanders" and province:
            areas.setdefault(province, []).append(office)
        elif region == "Brussels":
            areas.setdefault("Brussels", []).append(office)
    return areas


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


@dataclass
class Duo:
    duo_id: str
    office: str
    mentor_id: str
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
    busy: int = 0
    active: bool = True


@dataclass
class Result:
    """What the run did, to compare with what the platform reports."""

    formed: dict[tuple[str, int], int] = field(default_factory=dict)
    target: dict[tuple[str, int], int] = field(default_factory=dict)
    requests: int = 0
    duos_ended: int = 0
    positive: int = 0
    sustainable: int = 0


class Simulator:
    """Runs a scenario against running services (their base URLs) on the simulated clock in `clock_file`."""

    def __init__(
        self,
        scenario: Scenario,
        scale: float,
        urls: dict[str, str],
        tokens: dict[str, str],
        clock_file: Path,
        progress: Callable[[str, float], None] = lambda what, share: None,
        seed: int | None = None,
    ) -> None:
        self.scenario, self.urls, self.tokens, self.clock_file = scenario, urls, tokens, clock_file
        self.targets = scenario.scaled(scale)
        self.rng = random.Random(scenario.seed if seed is None else seed)
        self.progress = progress
        self.areas = area_offices()
        self.mentors: dict[str, Mentor] = {}
        self.duos: dict[str, Duo] = {}
        self.result = Result()
        self.serial = 0
        self._gate = asyncio.Semaphore(CONCURRENCY)

    # --- HTTP, as any client -------------------------------------------------------------------------

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        body: dict | None = None,
        role: str = "coordinator",
        missing_ok: bool = False,
    ) -> dict | None:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if method != "GET":
            # A retry after a dropped connection must not do the thing twice: the platform's Idempotency-Key.
            headers["Idempotency-Key"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
        for attempt in range(1, 6):
            try:
                async with self._gate:
                    answer = await self.client.request(
                        method, f"{self.urls[service]}{path}", json=body, headers=headers
                    )
                break
            except httpx.TransportError:
                if attempt == 5:
                    raise
                await asyncio.sleep(0.2 * attempt)  # a kept-alive connection the server had closed, or a restart
        self.result.requests += 1
        if missing_ok and answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise RuntimeError(f"{service} {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    async def until_known(self, service: str, path: str, deadline_s: float = 60) -> dict:
        """Poll a read until it answers: what another service learns over Kafka arrives a moment later."""
        deadline = asyncio.get_running_loop().time() + deadline_s
        while (found := await self.call(service, "GET", path, missing_ok=True)) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{service} did not learn of {path} within {deadline_s} s")
            await asyncio.sleep(0.1)
        return found

    def set_clock(self, day: date, hour: int = 10) -> None:
        self.today = day
        self.clock_file.write_text(datetime.combine(day, time(hour), BRUSSELS).isoformat())

    # --- the run -------------------------------------------------------------------------------------

    async def run(self) -> Result:
        years = self.scenario.years
        months = [(year, month) for year in years for month in range(1, 13)]
        tail = self.scenario.mentoring.months + 1  # months after the last formation: every duo ends
        async with httpx.AsyncClient(timeout=60) as self.client:
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
            count = round(total * month / 12) - round(total * (month - 1) / 12)
            offices = self.areas[area]
            for i in range(count):
                office = offices[(month * 7 + i) % len(offices)]
                by_office[office] = by_office.get(office, 0) + 1
        return by_office

    async def month(self, year: int, month: int, quota: dict[str, int]) -> None:
        self.set_clock(date(year, month, 1))
        waiting = await self.register(quota)
        self.set_clock(date(year, month, 5))
        await self.match(waiting)
        self.set_clock(date(year, month, 28), hour=18)
        await self.follow_duos()

    async def register(self, quota: dict[str, int]) -> dict[str, list[str]]:
        """The month's mentees, and mentors enough for them (trained the same day)."""
        waiting: dict[str, list[str]] = {}

        async def one_mentee(office: str) -> None:
            self.serial += 1
            body = people.mentee(self.rng, office, self.today, self.serial)
            answer = await self.call("intake", "POST", "/mentees", body)
            assert answer is not None
            mentee_id = answer["mentee_id"]
            # The steps before matching: the information session, then the intake interview.
            await self.call("intake", "POST", f"/mentees/{mentee_id}/information-session", {})
            await self.call("intake", "POST", f"/mentees/{mentee_id}/intake-interview", {"outcome": "suitable"})
            waiting.setdefault(office, []).append(mentee_id)

        await asyncio.gather(*(one_mentee(o) for o, n in quota.items() for _ in range(n)))
        await asyncio.gather(*(self.recruit(office, n) for office, n in quota.items()))
        return waiting

    async def recruit(self, office: str, needed: int) -> None:
        """New mentors until the office's free places cover what it needs (continuing mentors come first)."""
        free = sum(m.capacity - m.busy for m in self.mentors.values() if m.office == office and m.active)
        await asyncio.gather(*(self.new_mentor(office) for _ in range(max(0, needed - free))))

    async def new_mentor(self, office: str) -> None:
        self.serial += 1
        body = people.mentor(self.rng, office, self.today, self.serial)
        answer = await self.call("intake", "POST", "/mentors", body)
        assert answer is not None
        for module in TRAINING:
            await self.call("intake", "POST", f"/mentors/{answer['mentor_id']}/training-modules", {"module": module})
        self.mentors[answer["mentor_id"]] = Mentor(answer["mentor_id"], office, body["capacity"])

    async def match(self, waiting: dict[str, list[str]]) -> None:
        """Rounds at every office with waiting mentees, until each is in a duo; declines are matched again."""
        left = {office: set(ids) for office, ids in waiting.items() if ids}
        for attempt in range(200):
            if not left:
                return
            rounds = await asyncio.gather(*(self.call("matching", "POST", "/rounds", {"office": o}) for o in left))
            proposals = [p for r in rounds if r for p in r["proposals"]]
            outcomes = await asyncio.gather(*(self.first_meeting(p) for p in proposals))
            for proposal, formed in zip(proposals, outcomes, strict=True):
                if formed:
                    left[proposal["office"]].discard(proposal["mentee_id"])
            left = {o: ids for o, ids in left.items() if ids}
            if not proposals:
                # Not in matching's pool yet (Kafka is a moment behind), or every free mentor was declined.
                await asyncio.sleep(0.2)
                if attempt % 10 == 9:
                    await asyncio.gather(*(self.new_mentor(o) for o in left))
        raise RuntimeError(f"mentees still unmatched after 200 rounds: {left}")

    async def first_meeting(self, proposal: dict) -> bool:
        pid, p = proposal["proposal_id"], self.scenario.probabilities
        await self.call("matching", "POST", f"/proposals/{pid}/first-meeting", {"meeting_on": self.today.isoformat()})
        for side, accepts in (("mentee", p.mentee_accepts), ("mentor", p.mentor_accepts)):
            if self.rng.random() >= accepts:
                await self.call(
                    "matching",
                    "POST",
                    f"/proposals/{pid}/answers",
                    {"side": side, "answer": "decline", "reason": self.rng.choice(DECLINES)},
                )
                return False
            answer = await self.call(
                "matching", "POST", f"/proposals/{pid}/answers", {"side": side, "answer": "accept"}
            )
        assert answer is not None and answer["status"] == "formed"
        self.duo_formed(answer)
        return True

    def duo_formed(self, proposal: dict) -> None:
        p, months = self.scenario.probabilities, self.scenario.mentoring.months
        stopped = self.rng.random() < p.stopped_early
        ends_on = add_months(self.today, self.rng.randint(1, months - 1) if stopped and months > 1 else months)
        draw = self.rng.random()
        outcome = (
            "sustainable_job"
            if draw < p.sustainable_work
            else self.rng.choice(("other_job", "training", "internship"))
            if draw < p.positive_exit
            else "none"
        )
        self.duos[proposal["duo_id"]] = Duo(
            proposal["duo_id"], proposal["office"], proposal["mentor_id"], self.today, ends_on, outcome, stopped
        )
        self.mentors[proposal["mentor_id"]].busy += 1
        area = next(a for a, offices in self.areas.items() if proposal["office"] in offices)
        key = (area, self.today.year)
        self.result.formed[key] = self.result.formed.get(key, 0) + 1

    async def follow_duos(self) -> None:
        """The month in tracking: plans for new duos, weekly meetings, endings, follow-ups."""
        running = [d for d in self.duos.values() if d.ended_on is None]
        await asyncio.gather(*(self.meet(d) for d in running))
        await asyncio.gather(*(self.end(d) for d in running if d.ends_on <= self.today))
        await asyncio.gather(*(self.follow_up(d) for d in self.duos.values() if d.ended_on is not None))

    async def meet(self, duo: Duo) -> None:
        if not duo.known_to_tracking:
            await self.until_known("tracking", f"/duos/{duo.duo_id}")
            await self.call(
                "tracking",
                "POST",
                f"/duos/{duo.duo_id}/action-plan",
                {"drawn_up_on": duo.formed_on.isoformat(), "goals": ["find_job_in_sector", "cv_ready"]},
            )
            duo.known_to_tracking = True
        for day in (7, 14, 21, 28):
            met_on = self.today.replace(day=day)
            if (
                met_on <= duo.formed_on
                or met_on > duo.ends_on
                or self.rng.random() < self.scenario.probabilities.meeting_missed
            ):
                continue
            await self.call(
                "tracking",
                "POST",
                f"/duos/{duo.duo_id}/meetings",
                {
                    "met_on": met_on.isoformat(),
                    "duration_minutes": self.rng.choice((60, 90, 120, 150)),
                    "mode": self.rng.choices(("in_person", "online", "phone"), (6, 3, 1))[0],
                    "topics": self.rng.sample(TOPICS, k=self.rng.randint(1, 3)),
                },
            )

    async def end(self, duo: Duo) -> None:
        p, path, day = self.scenario.probabilities, f"/duos/{duo.duo_id}", self.today
        started = max(duo.formed_on + timedelta(days=1), day - timedelta(days=3)).isoformat()
        job = {"sector": "Q", "hours_per_week": 32.0, "started_on": started}
        if duo.outcome == "sustainable_job":
            contract = self.rng.choice(
                (
                    {"contract_type": "permanent"},
                    {"contract_type": "fixed_term", "contract_months": self.rng.choice((6, 12))},
                )
            )
            await self.call("tracking", "POST", f"{path}/jobs", job | contract)
        elif duo.outcome == "other_job":
            await self.call(
                "tracking", "POST", f"{path}/jobs", job | {"contract_type": "fixed_term", "contract_months": 2}
            )
        elif duo.outcome == "training":
            await self.call("tracking", "POST", f"{path}/trainings", {"started_on": started, "qualifying": True})
        elif duo.outcome == "internship":
            await self.call("tracking", "POST", f"{path}/internships", {"started_on": started})
        await self.call(
            "tracking",
            "POST",
            f"{path}/surveys/mentee",
            {
                "more_self_confidence": self.rng.random() < p.more_self_confidence,
                "more_autonomous_job_search": self.rng.random() < p.more_autonomous_job_search,
                "mentor_helped_with_problems": self.rng.random() < p.mentor_helped_with_problems,
            },
        )
        await self.call(
            "tracking",
            "POST",
            f"{path}/surveys/mentor",
            {
                "feels_useful": self.rng.random() < p.mentor_feels_useful,
                "adds_professional_value": self.rng.random() < p.mentor_professional_value,
            },
        )
        reason = (
            "lost_contact" if duo.stopped_early else "mentee_found_work" if duo.outcome.endswith("job") else "completed"
        )
        await self.call("tracking", "POST", f"{path}/end", {"ended_on": day.isoformat(), "reason": reason})
        duo.ended_on = day
        self.result.duos_ended += 1
        self.result.positive += duo.outcome != "none"
        self.result.sustainable += duo.outcome == "sustainable_job"
        mentor = self.mentors[duo.mentor_id]
        mentor.busy -= 1
        if self.rng.random() >= p.mentor_continues and mentor.busy == 0:
            mentor.active = False
            await self.call(
                "intake", "POST", f"/mentors/{mentor.mentor_id}/withdrawal", {"reason": "personal_circumstances"}
            )

    async def follow_up(self, duo: Duo) -> None:
        assert duo.ended_on is not None
        status = {"sustainable_job": "employed", "other_job": "employed", "training": "in_training"}.get(
            duo.outcome, "job_seeking"
        )
        for months in (3, 6, 12):
            if months not in duo.follow_ups and add_months(duo.ended_on, months) <= self.today:
                await self.call(
                    "tracking", "POST", f"/duos/{duo.duo_id}/follow-ups", {"months": months, "status": status}
                )
                duo.follow_ups.add(months)
