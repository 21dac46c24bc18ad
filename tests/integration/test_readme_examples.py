"""The README's first example works as written: its registration body, sent with a coordinator's token."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.intake_harness import IntakeHarness

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_registration_body() -> dict:
    """The JSON the README's curl command posts to /mentees."""
    command = re.search(r"curl -s -X POST localhost:8001/mentees (.*?)'\n", README.read_text(), re.DOTALL)
    assert command, "the README has no registration example"
    assert '"Authorization: Bearer $TOKEN"' in command.group(1), "the README's example must send the token"
    return json.loads(command.group(1).split("-d '", 1)[1])


async def test_the_readme_registration_registers_a_mentee(intake: IntakeHarness):
    answer = await intake.client.post("/mentees", json=readme_registration_body())
    assert answer.status_code == 201, answer.text
    assert answer.json()["office"] == "be-antwerpen"
