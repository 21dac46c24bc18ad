"""What every service's HTTP edge adds to its answers (no-store, nosniff) and keeps from the public (/metrics)."""

from __future__ import annotations

import httpx

from shared.scrape_token import configured_scrape_token
from shared.security_headers import SECURITY_HEADERS
from tests.service_apps import guarded_routes, service_apps


async def test_every_answer_of_every_service_says_no_store_and_nosniff_refusals_included():
    seen = 0
    for service, app in service_apps().items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}") as client:
            answers = [await client.request(method, path) for method, path in guarded_routes(app)]  # 401: no token
            answers.append(await client.get("/no-such-route"))  # 404
            answers.append(await client.post(guarded_routes(app)[0][1], content=b"x" * 70_000))  # 413 of the size limit
            answers.append(await client.get("/openapi.json"))  # 200
            answers.append(await client.get("/metrics", headers={"X-Correlation-Id": "not-a-uuid"}))  # 422
        for answer in answers:
            assert {h: answer.headers.get(h) for h in SECURITY_HEADERS} == SECURITY_HEADERS, (service, answer.url)
            seen += 1
        assert {a.status_code for a in answers} >= {401, 404, 413, 200, 422}, service
    assert seen > 50


def test_the_embedded_scrape_token_is_made_once_under_the_data_folder_and_the_environment_wins(tmp_path):
    environ = {"DUO_HOME": str(tmp_path)}
    first = configured_scrape_token(environ)
    assert len(first) >= 32 and configured_scrape_token(environ) == first
    assert (tmp_path / "metrics-scrape.token").stat().st_mode & 0o777 == 0o600
    assert configured_scrape_token({**environ, "DUO_METRICS_TOKEN": "from-a-secret"}) == "from-a-secret"
