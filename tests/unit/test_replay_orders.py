"""A replay worker's orders survive the trip over stdin, the broker's credentials typed and checked again."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pydantic
import pytest

from services.reporting.adapters.replay_worker import Orders
from shared.kafka import KafkaSecurity


def orders(security: dict | None) -> Orders:
    return Orders(
        database_url="postgresql://reporting@db/reporting",
        bootstrap="kafka:9092",
        security=security,
        table="ledger_rebuild",
        ledger="ledger",
        columns=["event_id", "data"],
        partitions=[("duo.intake.events", 0), ("duo.tracking.events", 3)],
        producers={"duo.intake.events": "intake"},
        keyring_file="/srv/duo/keyring.json",
        digest_key="00" * 32,
    )


def test_orders_and_credentials_come_back_as_they_were_sent():
    security = KafkaSecurity("SASL_SSL", "SCRAM-SHA-512", "reporting", "secret")
    sent = orders(dataclasses.asdict(security))
    received = Orders.from_line(sent.to_line())
    assert received == sent
    assert received.kafka_security() == security
    assert orders(None).kafka_security() is None


def test_credentials_that_do_not_fit_are_refused():
    with pytest.raises(pydantic.ValidationError):
        orders({"protocol": "SASL_SSL", "mechanism": "MD5", "username": "u", "password": "p"}).kafka_security()


def test_a_replay_worker_starts_without_importing_what_it_never_uses():
    """Each replay worker imports its modules at the start of every rebuild's replay, while the replay's clock runs:
    FastStream (about a fifth of that import) is for the services' consumers, structlog (and the rich it brings) for
    logging a keyring it cannot read, pydantic-settings for settings its orders already carry."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, services.reporting.adapters.replay_worker; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'faststream', 'structlog', 'pydantic_settings'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
