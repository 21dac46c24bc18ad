"""The dashboard in a real browser: the platform as `duo run` starts it, a small programme run through its APIs
(the demo's simulator on a simulated calendar for the Belgian branch, a few Dutch people and a duo by hand),
then headless Chromium driven by Selenium signs in as a funder, as a coordinator of the other branch and as a
coordinator limited to one office, and checks that each sees what the API gives them, and nothing else.

Chromium comes from Debian (`chromium`, `chromium-driver`); .ci/run installs them when missing. Without them
this test fails and says how to install them: it is never skipped. Screenshots are kept under the test's
tmp_path (printed); DUO_UPDATE_SCREENSHOT=1 also copies the funder's to docs/dashboard.png for the README.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bench.browser import ChromiumMissing, load_dashboard
from bench.browser import open_chromium as open_browser
from devtool.cli_services import DEFAULT_PORTS, SERVICES
from devtool.demo import people
from devtool.demo.scenario import load
from devtool.demo.simulator import TRAINING, Simulator
from devtool.simulated_clock import SIMULATED_CLOCK_VARIABLE
from shared.tenancy import OFFICES, Tenant
from tests.cli import duo, start_duo, wait_until
from tests.demo_scenarios import scenario
from tests.e2e.conftest import RunningPlatform, free_port_offset, stop_platform

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
BRUSSELS = ZoneInfo("Europe/Brussels")
SCENARIO = scenario(
    "dashboard",
    5,
    {"Antwerpen": [3], "Oost-Vlaanderen": [2], "Vlaams-Brabant": [1], "Brussels": [3]},
    months=2,
    mentee_accepts=1.0,
    mentor_accepts=1.0,
)


# --- the platform, with a small programme in it ---------------------------------------------------------------


@dataclass
class Programme:
    """The running platform and what was put into it."""

    platform: RunningPlatform
    clock_file: Path
    be_duos: set[str]
    nl_mentees: set[str] = field(default_factory=set)
    nl_duo: str = ""
    nl_open_proposal: str = ""

    def token(self, role: str, branch: str | None = "BE", *offices: str) -> str:
        args = ["token", "issue", "--role", role, "--subject", f"{role.replace('_', '-')}-9"]
        args += ["--branch", branch] if branch else []
        for office in offices:
            args += ["--office", office]
        issued = duo(self.platform.home, *args)
        assert issued.returncode == 0, issued.stderr
        return issued.stdout.strip()

    def api(self, token: str, path: str, **params: str) -> dict:
        answer = httpx.get(
            f"{self.platform.urls['reporting']}{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def set_clock(self, day: date, hour: int = 10) -> None:
        self.clock_file.write_text(datetime.combine(day, time(hour), BRUSSELS).isoformat())


def start_with_clock(home: Path, clock_file: Path) -> RunningPlatform:
    """`duo run` as tests/e2e/conftest.py starts it, on a simulated calendar, reporting told the others' URLs."""
    offset = free_port_offset()
    urls = {name: f"http://127.0.0.1:{DEFAULT_PORTS[name] + offset}" for name in SERVICES}  # the ones `duo run` starts
    others = ",".join(f"{name}={url}" for name, url in urls.items() if name != "reporting")
    log = home.parent / f"duo-run-{offset}.log"
    env = {SIMULATED_CLOCK_VARIABLE: str(clock_file), "DUO_SERVICE_URLS": others, "LOG_LEVEL": "WARNING"}
    process = start_duo(home, "run", "--port-offset", str(offset), log=log, **env)
    running = RunningPlatform(process, home, urls, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"duo run exited with {process.returncode}")
        return log.exists() and "is running" in log.read_text(errors="replace")

    try:
        wait_until(ready, 90, "duo run reporting all services healthy")
    except AssertionError as failure:
        stop_platform(running)
        raise AssertionError(f"{failure}\n{log.read_text(errors='replace')[-3000:]}") from None
    return running


def call(url: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    answer = httpx.request(method, f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code in (200, 201), f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json()


def dutch_people(p: Programme) -> None:
    """Three Dutch mentees and two mentors: one duo formed (then silent), one proposal open, one mentee waiting."""
    urls, coordinator = p.platform.urls, p.token("coordinator", "NL")
    rng = random.Random(9)
    start = date(2026, 6, 1)
    p.set_clock(start)

    def mentee(serial: int) -> str:
        body = people.mentee(rng, "nl-amsterdam", start, 900 + serial)
        body |= {"languages": ["nl", "en", "ar"], "phone": None, "job_target": {"sector": "Q", "occupation": "care"}}
        mentee_id = call(urls["intake"], coordinator, "POST", "/mentees", body)["mentee_id"]
        call(urls["intake"], coordinator, "POST", f"/mentees/{mentee_id}/information-session", {})
        call(urls["intake"], coordinator, "POST", f"/mentees/{mentee_id}/intake-interview", {"outcome": "suitable"})
        return mentee_id

    def mentor(serial: int) -> None:
        body = people.mentor(rng, "nl-amsterdam", start, 950 + serial)
        body |= {"experience": [{"sector": "Q", "years": 20}], "capacity": 1}
        mentor_id = call(urls["intake"], coordinator, "POST", "/mentors", body)["mentor_id"]
        for module in TRAINING:
            call(urls["intake"], coordinator, "POST", f"/mentors/{mentor_id}/training-modules", {"module": module})

    def proposal() -> dict:
        found: list[dict] = []

        def proposed() -> bool:
            found.extend(
                call(urls["matching"], coordinator, "POST", "/rounds", {"office": "nl-amsterdam"})["proposals"]
            )
            return bool(found)

        wait_until(proposed, 60, "matching proposing a Dutch mentee and mentor")
        return found[0]

    p.nl_mentees = {mentee(i) for i in range(3)}
    mentor(1)
    first = proposal()
    pid = first["proposal_id"]
    call(urls["matching"], coordinator, "POST", f"/proposals/{pid}/first-meeting", {"meeting_on": start.isoformat()})
    for side in ("mentee", "mentor"):
        answer = call(
            urls["matching"], coordinator, "POST", f"/proposals/{pid}/answers", {"side": side, "answer": "accept"}
        )
    assert answer["status"] == "formed"
    p.nl_duo = answer["duo_id"]
    p.set_clock(start + timedelta(days=25))  # the duo has not met since: inactive
    mentor(2)
    p.nl_open_proposal = proposal()["proposal_id"]


MEMORANDUM = "Memorandum DUO for a JOB - Vlaamse verkiezingen 2024"


def belgian_books(p: Programme) -> None:
    """The Belgian branch's books through tracking's API: money of the year its duos formed (the scenario's first,
    2025) by its finance officer, and the memorandum's history before the platform by its admin."""
    year = 2025
    tracking, finance, admin = p.platform.urls["tracking"], p.token("finance_officer"), p.token("branch_admin")
    money = [
        ("Brussels", "planned_costs", 180_000_000),
        ("Brussels", "actual_costs", 9_000_050),
        ("Brussels", "subsidy_granted", 126_000_000),
        ("Flanders", "actual_costs", 12_345_678),
        ("Flanders", "subsidy_received", 50_000_000),
    ]
    for region, kind, amount in money:
        body = {"kind": kind, "region": region, "year": year, "amount_cents": amount}
        call(tracking, finance, "POST", "/finances/figures", body)
    for region, duos, mentors in (("Flanders", 1400, 500), ("Brussels", 3400, 650)):
        body = {"region": region, "first_year": 2013, "last_year": 2023, "duos_formed": duos}
        call(tracking, admin, "POST", "/opening-figures", body | {"active_mentors": mentors, "source": MEMORANDUM})


@pytest.fixture(scope="module")
def programme(tmp_path_factory) -> Iterator[Programme]:
    folder = tmp_path_factory.mktemp("dashboard")
    clock_file = folder / "simulated-clock"
    clock_file.write_text(datetime(2025, 1, 1, 9, tzinfo=UTC).isoformat())
    running = start_with_clock(folder / "duo", clock_file)
    try:
        p = Programme(running, clock_file, set())
        scenario_file = folder / "dashboard.toml"
        scenario_file.write_text(SCENARIO)
        tokens = {"BE": {"coordinator": p.token("coordinator")}}
        simulator = Simulator(load(scenario_file), 1.0, running.urls, tokens, clock_file)
        result = asyncio.run(simulator.run())
        p.be_duos = set(simulator.duos)
        dutch_people(p)
        belgian_books(p)
        funder, dutch = p.token("funder"), p.token("coordinator", "NL")

        def settled() -> bool:
            figures = p.api(funder, "/figures")["figures"]
            work = p.api(dutch, "/coordination")
            return (
                figures["duos_formed"] == sum(result.formed.values())
                and figures["positive_exit"]["denominator"] == result.duos_ended
                and work["open_proposals"]["total"] == 1
                and work["inactive_duos"]["total"] == 1
                and len(p.api(funder, "/plan")["money"]["rows"]) == 2
                and len(p.api(funder, "/plan")["opening"]["periods"]) == 2
            )

        wait_until(settled, 120, "reporting counting every duo of the run and the Dutch duo and proposal")
        yield p
    finally:
        stop_platform(running)


# --- the browser ---------------------------------------------------------------------------------------------


def open_chromium(profile: Path, *flags: str):
    """Headless Chromium (bench/browser.py); without Debian's Chromium the test fails saying how to install it."""
    try:
        return open_browser(profile, *flags)
    except ChromiumMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture
def browser(tmp_path):
    driver = open_chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver, programme: Programme, token: str) -> None:
    load_dashboard(driver, programme.platform.urls["reporting"], token, 60)


def cells(driver, table: str) -> dict[str, list[str]]:
    """A table of the page as {row key: the texts of its cells}."""
    script = (
        "const t = document.getElementById(arguments[0]); if (!t) return null;"
        "const rows = {}; for (const r of t.tBodies[0].rows) if (r.dataset.key)"
        " rows[r.dataset.key] = [...r.cells].map(c => c.textContent.trim()); return rows;"
    )
    found = driver.execute_script(script, f"table-{table}")
    assert found is not None, f"the page has no table {table}"
    return found


def rendered_charts(driver) -> int:
    """Charts Chart.js drew, each on a canvas with pixels on it."""
    script = (
        "const canvases = [...document.querySelectorAll('canvas[data-rendered]')];"
        "const drawn = canvases.filter(c => { const g = c.getContext('2d');"
        " const px = g.getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < px.length; i += 4)"
        " if (px[i] !== 0) return true; return false; });"
        "return Object.keys(Chart.instances).length === canvases.length ? drawn.length : -1;"
    )
    return driver.execute_script(script)


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, path: Path) -> Path:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 6000))
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def page_text(driver) -> str:
    return driver.execute_script("return document.querySelector('main').innerText")


def n(value) -> str:
    return "—" if value is None else f"{value:,}"


def pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# --- what each sees ------------------------------------------------------------------------------------------


def test_a_funder_sees_the_branchs_figures_and_plan_as_the_api_gives_them(programme, browser, tmp_path):
    token = programme.token("funder")
    sign_in(browser, programme, token)
    figures = programme.api(token, "/figures")["figures"]
    plan = programme.api(token, "/plan")

    outcomes = cells(browser, "outcomes")
    for key in ("positive_exit", "sustainable_work", "mentor_retention"):
        figure = figures[key]
        assert outcomes[key][1:5] == [
            pct(figure["rate"]),
            n(figure["numerator"]),
            n(figure["denominator"]),
            figure["definition"],
        ]
        assert outcomes[key][5], f"{key} is shown without the words of its definition"
    counts = cells(browser, "counts")
    assert counts["duos_formed"][1] == n(figures["duos_formed"]) and figures["duos_formed"] > 0
    assert counts["applications"][1] == n(figures["applications"]["total"])
    assert counts["follow_ups_due"][1] == n(figures["follow_ups"]["due"])
    shown_plan = cells(browser, "plan")
    assert len(shown_plan) == len(plan["rows"])
    for row in plan["rows"]:
        assert shown_plan[f"{row['area']}|{row['year']}"][2:4] == [n(row["planned"]), n(row["formed"])]
    assert cells(browser, "return")["return"][0] == n(plan["return"]["sustainable_jobs"])
    assert cells(browser, "cost")["overall"][3] == f"EUR {plan['cost_per_duo_eur']['overall']['cost_per_duo_eur']:,}"
    surveys = cells(browser, "surveys")
    assert set(figures["surveys"]) == set(surveys) and surveys
    for question, answer in figures["surveys"].items():
        assert surveys[question][1:] == [n(answer["yes"]), n(answer["answered"]), pct(answer["rate"])]
    buckets = cells(browser, "time-to-match")
    assert {b: row[1] for b, row in buckets.items()} == {
        b: n(v) for b, v in figures["time_to_match"]["distribution"].items()
    }

    # No coordinator's lists for a funder; every chart drawn; every table downloadable; no console error.
    assert not browser.find_element("id", "coordination").is_displayed()
    assert rendered_charts(browser) >= 7  # five areas of the plan, outcomes, time to match, surveys
    csv = browser.execute_script("return duoDashboard.tableCsv(document.getElementById('table-plan'))")
    assert csv.splitlines()[0] == "area,year,planned,formed,formed / planned" and len(csv.splitlines()) == 26
    assert len(browser.find_elements("css selector", "button.csv")) >= len(browser.find_elements("tag name", "table"))
    assert console_errors(browser) == []

    # Another day: the date picker asks the API "as of", and the page shows its answer.
    earlier = "2025-06-30"
    browser.execute_script("document.getElementById('as-of').value = arguments[0]", earlier)
    browser.find_element("id", "refresh").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 60).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-loaded") == "true"
    )
    then = programme.api(token, "/figures", as_of=earlier)["figures"]
    assert (
        cells(browser, "counts")["duos_formed"][1] == n(then["duos_formed"])
        and then["duos_formed"] < figures["duos_formed"]
    )
    assert browser.find_element("id", "as-of").get_attribute("value") == earlier
    assert console_errors(browser) == []

    browser.refresh()  # back to today for the picture
    WebDriverWait(browser, 60).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-loaded") == "true"
    )
    if os.environ.get("DUO_UPDATE_SCREENSHOT") == "1":  # the README's picture: the top of the page
        browser.set_window_size(1280, 1500)
        browser.save_screenshot(str(ROOT / "docs" / "dashboard.png"))
    screenshot(browser, tmp_path / "funder.png")


def cents(value) -> str:
    return "—" if value is None else f"EUR {'-' if value < 0 else ''}{abs(value) // 100:,}.{abs(value) % 100:02d}"


def test_a_finance_officer_sees_the_books_beside_the_duos_and_the_history_before_the_platform_apart(
    programme, browser, tmp_path
):
    token = programme.token("finance_officer")
    sign_in(browser, programme, token)
    plan, figures = programme.api(token, "/plan"), programme.api(token, "/figures")["figures"]
    money = cells(browser, "money")
    assert len(money) == len(plan["money"]["rows"]) == 2
    for row in plan["money"]["rows"]:
        shown = money[f"{row['region']}|{row['year']}"]
        assert shown[2:4] == [n(row["planned_duos"]), n(row["duos_formed"])]
        assert shown[4:] == [
            cents(row[key])
            for key in (
                "budget_cents",
                "planned_costs_cents",
                "actual_costs_cents",
                "planned_cost_per_duo_cents",
                "actual_cost_per_duo_cents",
                "subsidy_requested_cents",
                "subsidy_granted_cents",
                "subsidy_received_cents",
                "plan_subsidy_cents",
            )
        ]
    assert "EUR 90,000.50" in money[f"Brussels|{plan['money']['rows'][0]['year']}"]  # cents kept, never rounded
    net = plan["money"]["net_return"]["total"]
    assert cells(browser, "net-return")["total"][1:] == [
        n(net["sustainable_jobs"]),
        cents(net["return_cents"]),
        cents(net["actual_costs_cents"]),
        cents(net["net_return_cents"]),
        n(net["net_saving_per_1000_eur"])
        if net["net_saving_per_1000_eur"] is None
        else f"EUR {net['net_saving_per_1000_eur']:,}",
    ]
    opening = cells(browser, "opening")
    assert opening["Brussels|2013-2023"][2] == "3,400" and opening["Flanders|2013-2023"][5] == "500"
    # Apart: the branch's own duos formed are the platform's, never with the 4,800 before it.
    assert cells(browser, "counts")["duos_formed"][1] == n(figures["duos_formed"]) and figures["duos_formed"] < 100
    assert all(row["duos_formed"] and row["actual_cost_per_duo_cents"] for row in plan["money"]["rows"])
    assert rendered_charts(browser) >= 8  # the plan's areas, the cost per duo, outcomes, time to match, surveys
    assert console_errors(browser) == []
    screenshot(browser, tmp_path / "finance-officer.png")


def test_a_coordinator_of_another_branch_sees_their_own_work_and_nothing_of_belgium(programme, browser, tmp_path):
    token = programme.token("coordinator", "NL")
    sign_in(browser, programme, token)
    work = programme.api(token, "/coordination")
    figures = programme.api(token, "/figures")["figures"]

    waiting = cells(browser, "waiting")
    assert set(waiting) == {m["mentee_id"] for m in work["waiting_mentees"]["items"]} and waiting
    assert set(waiting) <= programme.nl_mentees
    for item in work["waiting_mentees"]["items"]:
        assert waiting[item["mentee_id"]][4] == n(item["days_waiting"])
    assert set(cells(browser, "proposals")) == {programme.nl_open_proposal}
    assert set(cells(browser, "inactive")) == {programme.nl_duo}
    summary = cells(browser, "work")
    for key in ("waiting_mentees", "open_proposals", "inactive_duos", "follow_ups_due"):
        assert summary[key][1] == n(work[key]["total"])
    health = cells(browser, "health")
    assert set(health) == {"reporting", "intake", "matching", "tracking"}  # the others' URLs were configured
    assert cells(browser, "counts")["duos_formed"][1] == n(figures["duos_formed"]) == "1"

    # Nothing of the Belgian branch: no office, no duo.
    text = page_text(browser)
    # Belgian offices by name: a bare "be-" would also match inside an id (…52be-9c99…).
    assert not [office for office, (tenant, _, _) in OFFICES.items() if tenant == Tenant.BE and office in text]
    assert not any(duo_id in text for duo_id in programme.be_duos)
    assert rendered_charts(browser) >= 8  # the lists' summary, the plan's areas, outcomes, time to match
    assert console_errors(browser) == []
    screenshot(browser, tmp_path / "coordinator-nl.png")


def test_a_coordinator_limited_to_an_office_sees_only_that_office(programme, browser, tmp_path):
    token = programme.token("coordinator", "BE", "be-antwerpen")
    sign_in(browser, programme, token)
    work = programme.api(token, "/coordination")
    assert work["offices"] == ["be-antwerpen"]
    for table, key in (("waiting", "waiting_mentees"), ("inactive", "inactive_duos")):
        assert len(cells(browser, table)) == len(work[key]["items"])
    follow_ups = cells(browser, "follow-ups")
    assert len(follow_ups) == len(work["follow_ups_due"]["items"])
    assert all(row[1] == "be-antwerpen" for row in follow_ups.values())
    options = browser.execute_script("return [...document.getElementById('office').options].map(o => o.value)")
    assert options == ["", "be-antwerpen"]
    # The API refuses another office of the branch, and the page never asked for it.
    refused = httpx.get(
        f"{programme.platform.urls['reporting']}/coordination",
        params={"office": "be-gent"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()["errors"][0]["rule"] == "office_of_caller"
    assert console_errors(browser) == []
    screenshot(browser, tmp_path / "coordinator-antwerpen.png")


LISTS = {
    "waiting": "waiting_mentees",
    "proposals": "open_proposals",
    "inactive": "inactive_duos",
    "follow-ups": "follow_ups_due",
}


def click_and_wait_loaded(driver, element_id: str) -> None:
    """Click a control that loads the page's panels again, and wait until the page says it loaded them all."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element("id", element_id).click()  # show() marks the page not loaded before its first await
    WebDriverWait(driver, 60).until(lambda d: d.find_element("tag name", "body").get_attribute("data-loaded") == "true")


def test_a_coordinator_sees_a_page_of_each_list_and_asks_for_more(programme, browser):
    token = programme.token("coordinator", "BE")
    sign_in(browser, programme, token)
    totals = {table: programme.api(token, "/coordination")[key]["total"] for table, key in LISTS.items()}
    assert max(totals.values()) >= 2, totals  # a list longer than the page of one item set below
    shown = {table: len(cells(browser, table)) for table in LISTS}
    assert shown == {table: min(total, 50) for table, total in totals.items()}  # the page's size, the API's default

    # A page of one item a list (index.html's size, changed here), then "Show more": four a list.
    browser.execute_script("document.getElementById('coordination').dataset.perList = '1'")
    click_and_wait_loaded(browser, "refresh")
    assert {table: len(cells(browser, table)) for table in LISTS} == {t: min(n, 1) for t, n in totals.items()}
    assert "Showing the first 1 of" in page_text(browser)
    assert browser.find_element("id", "show-more").text == "Show up to 4 of each list"
    click_and_wait_loaded(browser, "show-more")
    assert {table: len(cells(browser, table)) for table in LISTS} == {t: min(n, 4) for t, n in totals.items()}
    assert console_errors(browser) == []


def test_a_token_the_api_refuses_shows_the_sign_in_again_and_no_data(programme, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    from shared.auth.identity import Identity, Role
    from shared.auth.keys import new_key_pair
    from shared.auth.tokens import issue_token
    from shared.tenancy import Tenant

    # Well formed, a funder's, but signed with a key the platform does not know.
    forged = issue_token(
        new_key_pair().private_pem, Identity("funder-9", Role.FUNDER, Tenant.BE), timedelta(hours=1), datetime.now(UTC)
    )
    browser.get(f"{programme.platform.urls['reporting']}/dashboard/#token={forged}")
    WebDriverWait(browser, 30).until(lambda d: d.find_element("id", "sign-in").is_displayed())
    assert "refused the token" in browser.find_element("id", "sign-in-error").text
    assert not browser.find_element("id", "figures").is_displayed()
    assert "#token" not in browser.current_url  # the token never stays in the address bar
    assert json.loads(browser.execute_script("return JSON.stringify(Object.keys(sessionStorage))")) == []


def test_the_page_and_its_assets_hold_no_data_and_come_from_the_platform_itself(programme):
    base = programme.platform.urls["reporting"]
    page = httpx.get(f"{base}/dashboard/", timeout=10)
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    library = httpx.get(f"{base}/dashboard/static/vendor/chart.umd.js", timeout=10)
    assert library.status_code == 200 and library.text.startswith("/*!\n * Chart.js v4")
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from another origin
    assert httpx.get(f"{base}/dashboard/static/../app.py", timeout=10).status_code == 404
    assert httpx.get(f"{base}/coordination", timeout=10).status_code == 401
    assert httpx.get(f"{base}/definitions", timeout=10).status_code == 401
