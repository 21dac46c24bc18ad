"""`/docs` in Chromium with every address but the loopback out of reach (a proxy that answers nothing): Swagger UI
loads from the service's own assets and lists the operations (shared/api_docs.py). FastAPI's default page, which
loads its script from a CDN, stays blank in the same browser: the network is blocked indeed."""

from __future__ import annotations

import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from services.matching.app import create_app as create_matching
from tests.e2e.test_dashboard import open_chromium
from tests.fuzzing import LiveService

pytestmark = pytest.mark.integration

# Chromium sends every request through this proxy, which nothing answers; `<-loopback>` removes the loopback from
# the proxy's implicit bypass list, then lists 127.0.0.1 again: only the service under test is reachable.
OFFLINE_FLAGS = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>;127.0.0.1")


@pytest.fixture
def offline_browser(tmp_path):
    driver = open_chromium(tmp_path / "chromium-profile", *OFFLINE_FLAGS)
    try:
        yield driver
    finally:
        driver.quit()


def test_swagger_ui_works_with_the_network_blocked(infra, offline_browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with LiveService(infra, "matching", create_matching) as service:
        page = service.session.get(f"{service.base_url}/docs")
        assert page.status_code == 200 and "cdn" not in page.text.lower()
        assert "https://" not in page.text and "http://" not in page.text  # every asset from the service itself

        offline_browser.get(f"{service.base_url}/docs")
        WebDriverWait(offline_browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
        shown = {
            e.text.replace("\u200b", "")
            for e in offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        }
        assert {"/proposals", "/rounds"} <= shown, shown

        # The same browser on FastAPI's default page (from a file): its CDN script never arrives.
        default = tmp_path / "default-docs.html"
        default.write_bytes(get_swagger_ui_html(openapi_url=f"{service.base_url}/openapi.json", title="t").body)
        offline_browser.get(default.as_uri())
        assert offline_browser.execute_script("return typeof SwaggerUIBundle") == "undefined"
