"""Headless Chromium driven by Selenium, as the dashboard's e2e test and the reads benchmark drive it.

Chromium comes from Debian (`chromium`, `chromium-driver`); .ci/run installs them when missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver (.ci/run installs them)"


class ChromiumMissing(RuntimeError):
    """Debian's Chromium or its driver is not installed."""


def chromium_paths() -> tuple[str, str]:
    """The browser's and its driver's executables (ChromiumMissing, saying how to install them, when absent)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/lib/chromium/chromedriver" if Path("/usr/lib/chromium/chromedriver").exists() else None
    )
    if not browser or not driver:
        raise ChromiumMissing(f"the dashboard in a browser needs Debian's Chromium and its driver: {INSTALL}")
    return browser, driver


def open_chromium(profile: Path, *flags: str) -> Any:
    """Headless Chromium through its driver, with its console log kept; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths()
    options = Options()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver


def load_dashboard(driver: Any, reporting_url: str, token: str, timeout_s: float = 120.0) -> None:
    """Open the dashboard, sign in with `token` and wait until the page says it loaded everything it shows
    (`data-loaded`, set once every panel and chart is drawn, app.js)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{reporting_url}/dashboard")
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "token").is_displayed())
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(driver, timeout_s).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true"
    )


def time_dashboard(driver: Any, reporting_url: str, token: str, timeout_s: float = 120.0) -> float:
    """Milliseconds from asking for the dashboard (signed in through the address's fragment, never sent to a
    server) until the page says it loaded everything it shows (`data-loaded`)."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")  # a new page each time, not a change of fragment
    started = time.perf_counter()
    driver.get(f"{reporting_url}/dashboard#token={token}")
    WebDriverWait(driver, timeout_s, poll_frequency=0.01).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true"
    )
    loaded_ms = (time.perf_counter() - started) * 1000
    status, tables = driver.execute_script(
        "return [document.getElementById('status').textContent, document.querySelectorAll('table').length]"
    )
    if status or not tables:  # a page that failed to load is not a load time
        raise RuntimeError(f"the dashboard did not load: {status!r}, {tables} tables")
    return loaded_ms
