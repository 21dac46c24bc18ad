"""The producer every relay uses (at least once, no Kafka transactions), and how clients authenticate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import aiokafka.admin.client
import aiokafka.client
from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.metadata import MetadataRequest

if TYPE_CHECKING:
    from faststream.security import SASLScram256, SASLScram512

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512"]
SECURITY_PROTOCOLS: tuple[str, ...] = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS: tuple[str, ...] = ("SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaSecurity:
    """How a client authenticates to the broker: SASL/SCRAM, over TLS with SASL_SSL (docs/kafka-security.md).

    None instead of a KafkaSecurity means PLAINTEXT: no authentication (the embedded broker, tests).
    """

    protocol: SecurityProtocol
    mechanism: SaslMechanism
    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if self.protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
            raise ValueError(f"KafkaSecurity is for SASL protocols, not {self.protocol!r}; use None for PLAINTEXT")
        if self.mechanism not in SASL_MECHANISMS:
            raise ValueError(f"unsupported SASL mechanism {self.mechanism!r}; expected one of {SASL_MECHANISMS}")
        if not self.username or not self.password:
            raise ValueError("SASL needs a username and a password")


def aiokafka_options(security: KafkaSecurity | None) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client (producer, consumer, admin); none for PLAINTEXT."""
    if security is None:
        return {}
    options: dict[str, Any] = {
        "security_protocol": security.protocol,
        "sasl_mechanism": security.mechanism,
        "sasl_plain_username": security.username,
        "sasl_plain_password": security.password,
    }
    if security.protocol == "SASL_SSL":
        # The system's trusted certificate authorities, with host name verification.
        options["ssl_context"] = create_ssl_context()
    return options


def faststream_security(security: KafkaSecurity | None) -> SASLScram256 | SASLScram512 | None:
    """The same settings for FastStream's KafkaBroker(security=...); None for PLAINTEXT."""
    # Imported here, where a broker is made: FastStream takes about 0.12 s to import, which every process that only
    # reads these settings (a rebuild's replay workers, the CLI) would pay.
    from faststream.security import SASLScram256, SASLScram512

    if security is None:
        return None
    scram = SASLScram256 if security.mechanism == "SCRAM-SHA-256" else SASLScram512
    ssl_context = create_ssl_context() if security.protocol == "SASL_SSL" else None
    return scram(
        username=security.username,
        password=security.password,
        ssl_context=ssl_context,
        use_ssl=security.protocol == "SASL_SSL",
    )


def new_producer(
    bootstrap_servers: str,
    security: KafkaSecurity | None = None,
    request_timeout_ms: int = 40_000,
    linger_ms: int = 5,
) -> AIOKafkaProducer:
    """An at-least-once producer: all replicas acknowledge, no Kafka transactions (docs/adr/0002). A batch not
    acknowledged within `request_timeout_ms` fails (it is retried inside the producer until then). `linger_ms`: how
    long a record waits for others to share its request (0 for a caller that hands over a whole batch at once)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=1 << 20,
        enable_idempotence=False,
        request_timeout_ms=request_timeout_ms,
        **aiokafka_options(security),
    )


class _MetadataRequestThatCreatesNothing(MetadataRequest):  # type: ignore[misc]  # aiokafka is untyped
    """A metadata request that asks the broker not to create the topics it names."""

    def __init__(self, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = False) -> None:
        super().__init__(topics, allow_auto_topic_creation)


def never_create_topics_by_asking() -> None:
    """Make every aiokafka client of this process (ours and FastStream's) ask for metadata without creating topics.

    aiokafka always allows the broker to create a topic a client merely asks about, with the broker's default
    partition count (Tansu: 4). A freshly restarted broker is asked by the running services before `duo` has
    created the declared topics (deploy/topics.toml: 6 partitions), and the topics came back with the wrong
    partition count. Topics are created only by `ensure_topics`, with their declared settings; aiokafka has no
    option for this, so the two modules that build the request get one that says no.
    """
    aiokafka.client.MetadataRequest = _MetadataRequestThatCreatesNothing
    aiokafka.admin.client.MetadataRequest = _MetadataRequestThatCreatesNothing


never_create_topics_by_asking()
