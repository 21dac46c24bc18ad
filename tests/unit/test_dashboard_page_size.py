"""The dashboard's coordinator page asks for the API's own page of each list and no more than the API gives."""

from __future__ import annotations

import re
from pathlib import Path

from services.reporting.domain.coordination import DEFAULT_LIMIT, MAX_LIMIT

STATIC = Path(__file__).resolve().parents[2] / "services" / "reporting" / "dashboard" / "static"


def test_the_pages_list_size_and_its_most_are_the_apis():
    page = re.search(r'id="coordination"[^>]*data-per-list="(\d+)"', (STATIC / "index.html").read_text())
    most = re.search(r"const MAX_PER_LIST = (\d+);", (STATIC / "app.js").read_text())
    assert page and most, "index.html states its page of each list, app.js the most it asks for"
    assert (int(page.group(1)), int(most.group(1))) == (DEFAULT_LIMIT, MAX_LIMIT)
