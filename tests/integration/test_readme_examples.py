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


def test_the_readmes_kafka_client_example_reads_the_log(infra) -> None:
    """The README's confluent-kafka snippet, run as written against the embedded broker (only PORT filled in)."""
    import asyncio
    import subprocess
    import sys
    import uuid

    from shared.kafka import new_producer
    from shared.topics import declared_topics, ensure_topics

    snippet = re.search(r'\.venv/bin/python -c "\n(.*?)"\n```', README.read_text(), re.DOTALL)
    assert snippet, "the README has no Kafka client example"
    port = infra.kafka_bootstrap.rsplit(":", 1)[1]
    marker = uuid.uuid4().hex.encode()

    async def publish() -> None:
        await ensure_topics(infra.kafka_bootstrap, declared_topics())
        producer = new_producer(infra.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("duo.intake.events", value=b'{"look": "' + marker + b'"}', key=marker)
        finally:
            await producer.stop()

    asyncio.run(publish())
    code = snippet.group(1).replace("PORT", port).replace("'look'", f"'look-{marker.decode()}'")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90)
    assert printed.returncode == 0, printed.stderr
    assert marker.decode() in printed.stdout, printed.stdout[-2000:]
