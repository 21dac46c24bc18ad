"""A bad setting stops `duo serve` before anything starts, with a message naming the variable (shared/config.py),
where it used to fall back to the default in silence."""

from __future__ import annotations

import pytest

from tests.cli import duo

pytestmark = pytest.mark.integration


def test_a_bad_max_attempts_stops_the_service_naming_it(infra, tmp_path) -> None:
    reachable = {
        "INTAKE_DATABASE_URL": infra.database_url("duo_intake"),
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
    }
    result = duo(tmp_path, "serve", "intake", "--port", "0", DUO_MAX_ATTEMPTS="abc", **reachable)
    assert result.returncode == 2, result.stderr
    assert "duo serve intake: invalid settings: DUO_MAX_ATTEMPTS: Input should be a valid integer" in result.stderr
    assert "Traceback" not in result.stderr
