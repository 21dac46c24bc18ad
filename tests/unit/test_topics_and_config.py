"""Topic declarations and how a service finds its endpoints."""

from __future__ import annotations

import json

import pytest

from shared.config import ConfigurationError, PlatformEnvironment, load_service_settings
from shared.topics import declared_topics, topic_of


def test_one_topic_per_producing_context_with_infinite_retention():
    topics = declared_topics()
    assert {t.producer for t in topics} == {"intake", "matching", "tracking"}
    assert all(t.config["retention.ms"] == "-1" and t.partitions >= 3 for t in topics)
    assert topic_of("intake") == "duo.intake.events"
    assert topic_of("intake", prefix="run1.") == "run1.duo.intake.events"
    with pytest.raises(LookupError):
        topic_of("reporting")


def test_environment_endpoints_replace_the_embedded_ones(tmp_path):
    (tmp_path / "infra.json").write_text(json.dumps({"postgres_port": 5999, "kafka_port": 9999}))
    embedded = load_service_settings("intake", {"DUO_HOME": str(tmp_path)})
    assert embedded.database_url == "postgresql://postgres@127.0.0.1:5999/duo_intake"
    assert embedded.kafka_bootstrap_servers == "127.0.0.1:9999"
    real = load_service_settings(
        "intake",
        {
            "DUO_HOME": str(tmp_path),
            "INTAKE_DATABASE_URL": "postgresql://u@db/intake",
            "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
        },
    )
    assert real.database_url == "postgresql://u@db/intake"
    assert real.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"


def test_no_endpoint_at_all_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="INTAKE_DATABASE_URL"):
        load_service_settings("intake", {"DUO_HOME": str(tmp_path)})


def test_the_replication_factor_can_be_raised_for_a_real_cluster(monkeypatch):
    assert {t.replication_factor for t in declared_topics()} == {1}
    monkeypatch.setenv("DUO_TOPIC_REPLICATION_FACTOR", "3")
    assert {t.replication_factor for t in declared_topics()} == {3}


def test_settings_come_from_the_environment_through_pydantic_settings_and_a_given_mapping_stays_hermetic(
    monkeypatch,
):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("kafka_session_timeout_ms", "9000")  # the names are not case-sensitive
    read = PlatformEnvironment.from_environ()
    assert (read.log_level, read.kafka_session_timeout_ms) == ("DEBUG", 9000)
    given = PlatformEnvironment.from_environ({"DUO_TOPIC_PREFIX": "t1."})
    assert (given.log_level, given.kafka_session_timeout_ms, given.duo_topic_prefix) == ("INFO", 6000, "t1.")
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError, match="kafka_session_timeout_ms"):
        PlatformEnvironment.from_environ()
