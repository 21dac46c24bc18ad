"""How Kafka clients authenticate: PLAINTEXT by default, SASL/SCRAM (over TLS with SASL_SSL) from the environment."""

from __future__ import annotations

import asyncio
import ssl
from types import SimpleNamespace
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram256, SASLScram512

import shared.outbox.relay as relay_module
import shared.runtime as runtime_module
import shared.topics as topics_module
from shared.config import ConfigurationError, ServiceSettings, load_service_settings
from shared.consuming.commits import OffsetCommits
from shared.kafka import KafkaSecurity, aiokafka_options, faststream_security, new_producer
from shared.outbox.relay import OutboxRelay
from shared.runtime import ServiceRuntime, Subscription
from shared.topics import TopicSpec, ensure_topics

SECRET = "s3cret-not-to-be-shown"


def environment(tmp_path, **variables: str) -> dict[str, str]:
    """A hermetic environment: explicit endpoints, an empty data folder, and the variables given."""
    return {
        "DUO_HOME": str(tmp_path),
        "INTAKE_DATABASE_URL": "postgresql://u@db/intake",
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        **variables,
    }


def scram(protocol: str = "SASL_PLAINTEXT", mechanism: str = "SCRAM-SHA-512") -> KafkaSecurity:
    return KafkaSecurity(protocol, mechanism, "intake", SECRET)  # type: ignore[arg-type]


def test_plaintext_is_the_default_with_no_client_options(tmp_path):
    settings = load_service_settings("intake", environment(tmp_path))
    assert settings.kafka_security is None
    assert aiokafka_options(settings.kafka_security) == {}
    assert faststream_security(settings.kafka_security) is None
    # Credentials alone do not switch authentication on: the protocol does.
    quiet = environment(tmp_path, KAFKA_SASL_USERNAME="intake", KAFKA_SASL_PASSWORD=SECRET)
    assert load_service_settings("intake", quiet).kafka_security is None


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_options_name_the_protocol_mechanism_and_credentials(mechanism):
    assert aiokafka_options(scram(mechanism=mechanism)) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "intake",
        "sasl_plain_password": SECRET,
    }


def test_sasl_ssl_adds_a_verifying_ssl_context():
    options = aiokafka_options(scram("SASL_SSL"))
    assert options["security_protocol"] == "SASL_SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_the_password_is_never_shown():
    security = scram()
    assert SECRET not in repr(security) and SECRET not in str(security)
    settings = ServiceSettings("intake", "postgresql://u@db/intake", "kafka:9092", kafka_security=security)
    assert SECRET not in repr(settings)


def test_kafka_security_refuses_what_cannot_authenticate():
    with pytest.raises(ValueError, match="PLAINTEXT"):
        KafkaSecurity("PLAINTEXT", "SCRAM-SHA-512", "intake", SECRET)
    with pytest.raises(ValueError, match="mechanism"):
        KafkaSecurity("SASL_PLAINTEXT", "PLAIN", "intake", SECRET)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="password"):
        KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "intake", "")


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"KAFKA_SASL_PASSWORD": SECRET}, "KAFKA_SASL_USERNAME"),
        ({"KAFKA_SASL_USERNAME": "intake"}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SASL_USERNAME": "intake", "KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD"),
        ({}, "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
    ],
)
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_sasl_without_credentials_is_a_configuration_error_naming_the_variable(tmp_path, protocol, given, missing):
    env = environment(tmp_path, KAFKA_SECURITY_PROTOCOL=protocol, **given)
    with pytest.raises(ConfigurationError, match=f"intake: KAFKA_SECURITY_PROTOCOL={protocol} needs {missing}$"):
        load_service_settings("intake", env)


def test_load_service_settings_reads_the_kafka_security_variables(tmp_path):
    env = environment(
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="sasl_ssl",  # as case-insensitive as Kafka's own clients
        KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        KAFKA_SASL_USERNAME="intake",
        KAFKA_SASL_PASSWORD=SECRET,
    )
    settings = load_service_settings("intake", env)
    assert settings.kafka_security == KafkaSecurity("SASL_SSL", "SCRAM-SHA-256", "intake", SECRET)
    # SCRAM-SHA-512 unless told otherwise.
    del env["KAFKA_SASL_MECHANISM"]
    env["KAFKA_SECURITY_PROTOCOL"] = "SASL_PLAINTEXT"
    assert load_service_settings("intake", env).kafka_security == scram()


@pytest.mark.parametrize(("variable", "value"), [("KAFKA_SECURITY_PROTOCOL", "SSL"), ("KAFKA_SASL_MECHANISM", "PLAIN")])
def test_an_unsupported_protocol_or_mechanism_is_refused(tmp_path, variable, value):
    env = environment(tmp_path, **{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", variable: value})
    with pytest.raises(ConfigurationError, match=f"{variable}: Input should be"):
        load_service_settings("intake", env)


@pytest.mark.parametrize(("mechanism", "kind"), [("SCRAM-SHA-256", SASLScram256), ("SCRAM-SHA-512", SASLScram512)])
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_faststream_security_gives_the_matching_scram_class(mechanism, kind, protocol):
    security = faststream_security(scram(protocol, mechanism))
    assert type(security) is kind and isinstance(security, SASLScram256 | SASLScram512)
    assert (security.username, security.password) == ("intake", SECRET)
    assert security.use_ssl is (protocol == "SASL_SSL")
    assert isinstance(security.ssl_context, ssl.SSLContext) is (protocol == "SASL_SSL")


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_faststream_passes_the_same_options_to_its_clients(protocol):
    security = scram(protocol)
    broker = KafkaBroker("kafka:9092", security=faststream_security(security), logger=None)
    given = broker._connection_kwargs  # what FastStream 0.7 hands to every aiokafka client it makes
    expected = aiokafka_options(security)
    assert {k: given[k] for k in expected if k != "ssl_context"} == {
        k: v for k, v in expected.items() if k != "ssl_context"
    }
    assert isinstance(given["ssl_context"], ssl.SSLContext) is (protocol == "SASL_SSL")


async def test_new_producer_is_configured_without_connecting():
    producer = new_producer("kafka:9092", scram("SASL_SSL", "SCRAM-SHA-256"))
    client = producer.client
    assert (client._security_protocol, client._sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-256")
    assert (client._sasl_plain_username, client._sasl_plain_password) == ("intake", SECRET)
    assert isinstance(client._ssl_context, ssl.SSLContext)
    assert new_producer("kafka:9092").client._security_protocol == "PLAINTEXT"


class FakeAdmin:
    """AIOKafkaAdminClient's part ensure_topics uses, answering as a broker with ACLs would."""

    created: list[tuple[str, int]] = []
    described: list[dict] = []
    instances: list[FakeAdmin] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.closed = False
        FakeAdmin.instances.append(self)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self.closed = True

    async def create_topics(self, new_topics):
        codes = dict(FakeAdmin.created)
        return SimpleNamespace(topic_errors=[(t.name, codes.get(t.name, 0), None) for t in new_topics])

    async def describe_topics(self, names):
        return [d for d in FakeAdmin.described if d["topic"] in names]


@pytest.fixture
def fake_admin(monkeypatch):
    FakeAdmin.created, FakeAdmin.described, FakeAdmin.instances = [], [], []
    monkeypatch.setattr(topics_module, "AIOKafkaAdminClient", FakeAdmin)
    return FakeAdmin


TOPICS = [TopicSpec(f"duo.{name}.events", name, 6, 1) for name in ("intake", "matching", "tracking")]


async def test_ensure_topics_connects_with_the_security_given(fake_admin):
    await ensure_topics("kafka:9092", TOPICS, scram())
    assert fake_admin.instances[0].options == {"bootstrap_servers": "kafka:9092", **aiokafka_options(scram())}
    await ensure_topics("127.0.0.1:9999", TOPICS)
    assert fake_admin.instances[1].options == {"bootstrap_servers": "127.0.0.1:9999"}
    assert all(admin.closed for admin in fake_admin.instances)


async def test_ensure_topics_leaves_topics_to_the_operator_under_acls(fake_admin):
    # The service may not create topics; it may see its own (there), not the others.
    fake_admin.created = [(t.name, 29) for t in TOPICS]
    fake_admin.described = [
        {"topic": "duo.intake.events", "error_code": 0},
        {"topic": "duo.matching.events", "error_code": 29},
        {"topic": "duo.tracking.events", "error_code": 29},
    ]
    await ensure_topics("kafka:9092", TOPICS, scram())


async def test_ensure_topics_fails_when_a_topic_it_may_see_was_never_created(fake_admin):
    fake_admin.created = [(t.name, 29) for t in TOPICS]
    fake_admin.described = [{"topic": "duo.intake.events", "error_code": 3}]
    with pytest.raises(RuntimeError, match=r"duo\.intake\.events do not exist .* may not create them"):
        await ensure_topics("kafka:9092", TOPICS, scram())
    assert fake_admin.instances[0].closed


async def test_ensure_topics_still_fails_on_other_errors(fake_admin):
    fake_admin.created = [("duo.intake.events", 37)]  # INVALID_PARTITIONS
    with pytest.raises(RuntimeError, match="creating topic duo.intake.events failed: 37"):
        await ensure_topics("kafka:9092", TOPICS, scram())


class Stop(Exception):
    """Ends a relay's leadership in a test once the producer was made."""


async def test_the_relay_makes_its_producers_with_its_security(monkeypatch):
    made = []

    async def connect(*_args, **_kwargs):
        return SimpleNamespace()

    async def init_connection(_con):
        pass

    def producer(bootstrap, security=None, **_options):
        made.append((bootstrap, security))
        raise Stop

    monkeypatch.setattr("shared.outbox.relay.asyncpg.connect", connect)
    monkeypatch.setattr(relay_module, "init_connection", init_connection)
    monkeypatch.setattr(relay_module, "new_producer", producer)
    relay = OutboxRelay("postgresql://u@db/intake", "kafka:9092", "duo.intake.events", "intake", security=scram())
    with pytest.raises(Stop):
        await relay._run_as_leader()
    assert made == [("kafka:9092", scram())]


async def test_the_runtime_hands_the_settings_security_to_every_client(monkeypatch):
    seen: dict[str, Any] = {}

    class Pool:
        async def close(self) -> None:
            pass

    async def create_pool(*_args, **_kwargs):
        return Pool()

    async def apply_schema(*_args) -> None:
        pass

    async def ensure(bootstrap, topics, security=None):
        seen["ensure_topics"] = security

    class Relay:
        def __init__(self, *args, **kwargs) -> None:
            seen["relay"] = kwargs.get("security")

        async def run(self) -> None:
            await asyncio.Event().wait()

        def wake_if_leading(self) -> bool:
            return False

    class Broker:
        def __init__(self, *args, **kwargs) -> None:
            seen["broker"] = kwargs.get("security")

        async def start(self) -> None:
            pass

        async def stop(self) -> None:
            pass

    for name, fake in {
        "create_pool": create_pool,
        "apply_schema": apply_schema,
        "ensure_topics": ensure,
        "OutboxRelay": Relay,
        "KafkaBroker": Broker,
        "subscribe": lambda *args, **kwargs: (None, None, OffsetCommits("matching", lambda: 0)),
    }.items():
        monkeypatch.setattr(runtime_module, name, fake)
    settings = ServiceSettings("matching", "postgresql://u@db/matching", "kafka:9092", kafka_security=scram())
    consumer = SimpleNamespace(name="matching")
    runtime = ServiceRuntime(
        settings, subscriptions=[Subscription(lambda pool: consumer, {"duo.intake.events": "intake"})]
    )
    await runtime.start()
    await runtime.stop()
    assert seen["ensure_topics"] == seen["relay"] == scram()
    assert runtime.group_lag is not None and runtime.group_lag.security == scram()
    assert isinstance(seen["broker"], SASLScram512) and seen["broker"].username == "intake"
