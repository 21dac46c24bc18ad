"""The topic declarations of deploy/topics.toml, and creating them on a broker."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.config import PlatformEnvironment
from shared.kafka import KafkaSecurity, aiokafka_options

_UNKNOWN_TOPIC_OR_PARTITION = 3
_TOPIC_AUTHORIZATION_FAILED = 29
_TOPIC_ALREADY_EXISTS = 36
SOURCE_TREE_DECLARATION = Path(__file__).resolve().parent.parent / "deploy" / "topics.toml"


def declaration_path() -> Path:
    """deploy/topics.toml of the source tree, or DUO_TOPICS_FILE (an image, a plain install)."""
    return PlatformEnvironment.from_environ().duo_topics_file or SOURCE_TREE_DECLARATION


@dataclass(frozen=True)
class TopicSpec:
    """One declared topic."""

    name: str
    producer: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def declared_topics(prefix: str = "", path: Path | None = None) -> list[TopicSpec]:
    """Every topic declared for the platform; `prefix` isolates test runs sharing one broker.

    DUO_TOPIC_REPLICATION_FACTOR overrides the declared factor (1 locally, 3 on a real cluster).
    """
    spec = _declarations(path)
    return [_topic(t, spec["defaults"], prefix) for t in spec["topic"]]


def _declarations(path: Path | None) -> dict[str, Any]:
    path = path or declaration_path()
    if not path.exists():
        raise FileNotFoundError(f"topic declarations not found at {path}; set DUO_TOPICS_FILE to deploy/topics.toml")
    return tomllib.loads(path.read_text())


def _topic(declared: dict[str, Any], defaults: dict[str, Any], prefix: str) -> TopicSpec:
    replication = PlatformEnvironment.from_environ().duo_topic_replication_factor
    return TopicSpec(
        name=prefix + declared["name"],
        producer=declared["producer"],
        partitions=declared.get("partitions", defaults["partitions"]),
        replication_factor=replication or int(declared.get("replication_factor", defaults["replication_factor"])),
        config={**defaults.get("config", {}), **declared.get("config", {})},
    )


def federation_topic(prefix: str = "", path: Path | None = None) -> TopicSpec:
    """The topic each region's reporting sends its branches' figures to, for the federation (docs/adr/0028)."""
    spec = _declarations(path)
    return _topic(spec["federation"], spec["defaults"], prefix)


def topic_of(service: str, prefix: str = "", path: Path | None = None) -> str:
    """The topic a service publishes its events to."""
    for topic in declared_topics(prefix, path):
        if topic.producer == service:
            return topic.name
    raise LookupError(f"no topic declared for producer {service!r} in {path or declaration_path()}")


async def ensure_topics(bootstrap_servers: str, topics: list[TopicSpec], security: KafkaSecurity | None = None) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are.

    Under ACLs (docs/kafka-security.md) a service's principal may not create topics: an operator has
    (deploy/kafka/setup.sh), and the broker refuses each one with an authorization error, existing or
    not. Those are accepted, unless a metadata request shows that one the principal may see is missing.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **aiokafka_options(security))
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=t.config) for t in topics]
        )
        not_permitted = []
        for name, code, message in response.topic_errors:
            if code == _TOPIC_AUTHORIZATION_FAILED:
                not_permitted.append(name)
            elif code not in (0, _TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"creating topic {name} failed: {code} {message}")
        if not_permitted:
            # Describable and unknown: really missing. Not describable: none of this principal's business.
            missing = [
                t["topic"]
                for t in await admin.describe_topics(not_permitted)
                if t["error_code"] == _UNKNOWN_TOPIC_OR_PARTITION
            ]
            if missing:
                raise RuntimeError(
                    f"topics {', '.join(sorted(missing))} do not exist and this client may not create them; "
                    "an operator creates them (deploy/kafka/setup.sh, docs/kafka-security.md)"
                )
    finally:
        await admin.close()
