"""Topic declarations and how a service finds its endpoints."""

from __future__ import annotations

import json
import re

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
    with pytest.raises(ConfigurationError, match="KAFKA_SESSION_TIMEOUT_MS: Input should be a valid integer"):
        PlatformEnvironment.from_environ()


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("DUO_MAX_ATTEMPTS", "abc", "valid integer"),
        ("DUO_MAX_ATTEMPTS", "0", "greater than or equal to 1"),
        ("DUO_STALL_AFTER_S", "soon", "valid number"),
        ("DUO_STALL_AFTER_S", "-1", "greater than 0"),
        ("DUO_DB_POOL_SIZE", "ten", "valid integer"),
        ("DUO_HTTP_KEEP_ALIVE_S", "0", "greater than or equal to 1"),
        ("DUO_TOPIC_REPLICATION_FACTOR", "three", "valid integer"),
        ("DUO_SERVICE_URLS", "intake=http://intake,matching", "'matching' is not name=http(s)://host[:port]"),
        ("DUO_JWKS_URL", "login.example.internal/certs", "should match pattern"),
        ("MATCHING_DATABASE_URL", "mysql://duo:s3cret@db/duo", "must be a postgresql:// URL"),
        ("DUO_POSTGRES_PORT", "fifty", "valid integer"),
        ("DUO_KAFKA_PORT", "70000", "less than or equal to 65535"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable_never_quoting_it(variable: str, value: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        PlatformEnvironment.from_environ({variable: value})
    assert f"{variable}: " in str(refused.value) and why in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_every_setting_is_read_through_pydantic_settings_with_its_default() -> None:
    read = PlatformEnvironment.from_environ(
        {
            "DUO_MAX_ATTEMPTS": "3",
            "DUO_STALL_AFTER_S": "2.5",
            "DUO_DB_POOL_SIZE": "25",
            "DUO_SERVICE_URLS": "intake=http://intake/, matching=http://matching:8000",
            "DUO_TOPICS_FILE": "/etc/duo/topics.toml",
            "DUO_JWKS_URL": "https://login.example.internal/certs",
            "INTAKE_DATABASE_URL": "postgresql://duo_intake@db/duo_intake",
        }
    )
    assert (read.duo_max_attempts, read.duo_stall_after_s, read.duo_db_pool_size) == (3, 2.5, 25)
    assert read.duo_service_urls == {"intake": "http://intake", "matching": "http://matching:8000"}
    assert (
        str(read.duo_topics_file) == "/etc/duo/topics.toml"
        and read.duo_jwks_url == "https://login.example.internal/certs"
    )
    assert (
        read.database_url("intake") == "postgresql://duo_intake@db/duo_intake" and read.database_url("matching") is None
    )
    defaults = PlatformEnvironment.from_environ({})
    assert (defaults.duo_max_attempts, defaults.duo_stall_after_s, defaults.duo_db_pool_size) == (5, 60.0, 10)
    assert defaults.duo_service_urls == {} and defaults.duo_topics_file is None


def test_the_pool_size_reaches_the_service_settings(tmp_path) -> None:
    environ = {"INTAKE_DATABASE_URL": "postgresql://u@db/intake", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}
    assert load_service_settings("intake", {**environ, "DUO_DB_POOL_SIZE": "4"}).db_pool_size == 4
    assert load_service_settings("intake", environ).db_pool_size == 10


def test_every_setting_is_in_the_readmes_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("| variable | default |") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert {name.upper() for name in PlatformEnvironment.model_fields} <= documented, sorted(
        {name.upper() for name in PlatformEnvironment.model_fields} - documented
    )


def test_the_secrets_and_key_files_are_settings_too_and_an_empty_one_means_the_embedded_default(tmp_path) -> None:
    from services.intake.adapters.master_key import intake_master_keys
    from shared.events.keyfiles import event_keyring, keys_folder
    from shared.eventstore.chain_key import configured_chain_key
    from shared.scrape_token import configured_scrape_token

    home = {"DUO_HOME": str(tmp_path)}
    assert configured_chain_key("intake", {**home, "DUO_CHAIN_KEY": "from-a-secret"}) == b"from-a-secret"
    made = configured_chain_key("intake", {**home, "DUO_CHAIN_KEY": ""})  # `DUO_CHAIN_KEY=` in an env file
    assert made == (tmp_path / "chain-keys" / "intake.key").read_bytes() and len(made) >= 32
    scrape_token = configured_scrape_token({**home, "DUO_METRICS_TOKEN": " "})
    assert scrape_token == (tmp_path / "metrics-scrape.token").read_text()
    assert keys_folder(home) == tmp_path / "event-keys"
    assert keys_folder({**home, "DUO_EVENT_KEYS_DIR": str(tmp_path / "k")}) == tmp_path / "k"
    assert event_keyring({"DUO_EVENT_KEYRING_FILE": str(tmp_path / "ring.json")}).path == tmp_path / "ring.json"
    assert intake_master_keys({**home, "INTAKE_VAULT_MASTER_KEY": ""}).current.key_id  # made under DUO_HOME
    with pytest.raises(ConfigurationError, match="DUO_MAX_ATTEMPTS"):
        configured_chain_key("intake", {**home, "DUO_MAX_ATTEMPTS": "abc"})  # one bad setting stops every reader
