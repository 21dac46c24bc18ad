"""Where a service finds its database and the broker: the environment first, then `duo infra up`'s record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from shared.endpoints import read_endpoints
from shared.kafka import KafkaSecurity
from shared.regions import Region, parse_branches, parse_regions, region_of
from shared.tenancy import Tenant

if TYPE_CHECKING:  # only named here: shared/auth/ reads the settings, so importing it back would make a cycle
    from shared.auth.tokens import TokenVerifier


class PlatformEnvironment(BaseSettings):
    """Settings shared by every service, from environment variables of the same names in upper case
    (pydantic-settings: `PlatformEnvironment()` reads the process's environment, and refuses a bad value
    naming the variable)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    kafka_bootstrap_servers: str | None = None
    duo_home: Path = Path(".duo")
    kafka_session_timeout_ms: int = 6000
    # A third of the session (Kafka's rule): every heartbeat costs the embedded broker a request (issue 24).
    kafka_heartbeat_interval_ms: int = 2000
    log_level: str = "INFO"
    duo_topic_prefix: str = ""
    # How clients authenticate to Kafka (docs/kafka-security.md); PLAINTEXT: not at all.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    # How long uvicorn keeps an idle connection open: longer than any client's or proxy's idle timeout (httpx 5 s,
    # ingress-nginx 60 s), so the server never closes a connection at the moment a client sends on it (a reset).
    duo_http_keep_alive_s: int = Field(default=75, ge=1)
    # Each service's own database (its role only); unset: the embedded PostgreSQL of `duo infra up`.
    intake_database_url: str | None = None
    matching_database_url: str | None = None
    tracking_database_url: str | None = None
    reporting_database_url: str | None = None
    # The role owning each service's database, for the migrations at start (shared/runtime_privileges.py); unset:
    # they run on the service's own URL (the embedded stack: its owner role).
    intake_owner_database_url: str | None = None
    matching_owner_database_url: str | None = None
    tracking_owner_database_url: str | None = None
    reporting_owner_database_url: str | None = None
    # Connections of a service's pool, at most (each replica): PostgreSQL's max_connections bounds their sum.
    duo_db_pool_size: int = Field(default=10, ge=1, le=1000)
    # Failed attempts of one event before a consumer parks it (shared/consuming/subscriber.py).
    duo_max_attempts: int = Field(default=5, ge=1)
    # How long a backlog may go without progress before /health calls it stalled (shared/health.py).
    duo_stall_after_s: float = Field(default=60.0, gt=0)
    # The topic declarations (deploy/topics.toml of the source tree when unset) and a replication factor overriding
    # the declared one (3 on a real cluster).
    duo_topics_file: Path | None = None
    duo_topic_replication_factor: int | None = Field(default=None, ge=1)
    # Tokens verified against an identity provider's JWKS and issuer; unset: the embedded key of DUO_HOME.
    duo_jwks_url: str | None = Field(default=None, pattern=r"^https?://")
    duo_token_issuer: str | None = None
    # The other services' base URLs, for the health panel of reporting's dashboard: "intake=http://intake,...".
    duo_service_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # Secrets (Kubernetes Secrets, the compose file's environment); unset: each is made under DUO_HOME on first use
    # (shared/local_secrets.py). The token Prometheus sends for /metrics; the key of each hash chain (ADR 0018);
    # intake's master key wrapping every person's data key and, during a rotation, the previous ones (ADR 0020).
    duo_metrics_token: str | None = None
    duo_chain_key: str | None = None
    intake_vault_master_key: str | None = None
    intake_vault_master_key_previous: str = ""
    # Event signing (ADR 0019): the embedded key folder (default DUO_HOME/event-keys), or in Kubernetes the mounted
    # keyring every consumer verifies with and the producing service's own private key.
    duo_event_keys_dir: Path | None = None
    duo_event_keyring_file: Path | None = None
    duo_event_signing_key_file: Path | None = None
    # How long the relay waits for the broker to acknowledge a batch before it starts over with a fresh producer.
    # The embedded stack (`duo run`) uses 3 s and restarts a lost broker only after it (a batch handed to the dead
    # broker must have failed before a new, empty one answers: docs/adr/0023); a real cluster's leader elections
    # take longer, and a shorter wait there would only resend.
    duo_relay_delivery_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # The embedded stack's ports (`duo infra up`); 0 or unset: free ports, kept across restarts.
    duo_postgres_port: int = Field(default=0, ge=0, le=65535)
    duo_kafka_port: int = Field(default=0, ge=0, le=65535)
    # The region this deployment is (docs/adr/0014): its name, the branches it hosts ("BE,NL"), and where the
    # others are hosted ("fr=FR;east=..."), for the refusals that name them. Unset: one region hosts every branch.
    duo_region: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,30}$")
    duo_region_branches: Annotated[list[Tenant], NoDecode] = Field(default_factory=list)
    duo_other_regions: Annotated[dict[str, list[Tenant]], NoDecode] = Field(default_factory=dict)
    # How often a region's reporting sends its branches' figures to the federation topic (docs/adr/0028), and how
    # long the federation waits for a region's next figures before it shows them as stale.
    duo_federation_feed_interval_s: float = Field(default=60.0, gt=0, le=3600)
    duo_federation_stale_after_s: float = Field(default=180.0, gt=0)
    # The federation's reporting (services/federation/): each region's Kafka bootstrap ("west=host:9092;fr=...") and
    # the folder holding each region's event keyring as <region>.json (default DUO_HOME/federation-keyrings).
    duo_federation_regions: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    duo_federation_keyrings_dir: Path | None = None

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("duo_region_branches", mode="before")
    @classmethod
    def _region_branches(cls, value: object) -> object:
        return parse_branches(value) if isinstance(value, str) else value

    @field_validator("duo_other_regions", mode="before")
    @classmethod
    def _other_regions(cls, value: object) -> object:
        return parse_regions(value) if isinstance(value, str) else value

    @field_validator("duo_federation_regions", mode="before")
    @classmethod
    def _federation_regions(cls, value: object) -> object:
        """`region=bootstrap` pairs separated by semicolons (a bootstrap may list several brokers with commas)."""
        if not isinstance(value, str):
            return value
        regions = {}
        for entry in filter(None, (e.strip() for e in value.split(";"))):
            name, _, bootstrap = entry.partition("=")
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name.strip()) or not bootstrap.strip():
                raise ValueError(f"{entry!r} is not region=host:port[,host:port]")
            regions[name.strip()] = bootstrap.strip()
        return regions

    @field_validator("duo_region", mode="before")
    @classmethod
    def _no_region(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("duo_service_urls", mode="before")
    @classmethod
    def _service_urls(cls, value: object) -> object:
        """`name=url` pairs separated by commas, each url http(s); an entry that is not one is refused."""
        if not isinstance(value, str):
            return value
        urls = {}
        for entry in filter(None, (e.strip() for e in value.split(","))):
            name, _, url = entry.partition("=")
            if not name.strip() or not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"{entry!r} is not name=http(s)://host[:port]")
            urls[name.strip()] = url.strip().rstrip("/")
        return urls

    @field_validator(
        "duo_metrics_token",
        "duo_chain_key",
        "intake_vault_master_key",
        "duo_event_keys_dir",
        "duo_event_keyring_file",
        "duo_event_signing_key_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """A variable set to nothing (`DUO_CHAIN_KEY=` in an env file) means the default, not an empty secret."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "intake_database_url",
        "matching_database_url",
        "tracking_database_url",
        "reporting_database_url",
        "intake_owner_database_url",
        "matching_owner_database_url",
        "tracking_owner_database_url",
        "reporting_owner_database_url",
    )
    @classmethod
    def _postgresql_url(cls, value: str | None) -> str | None:
        if value is not None and value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value or None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PlatformEnvironment:
        """The process's environment (None), or only the mapping given, so callers and tests stay hermetic.
        A bad value raises ConfigurationError naming its variable, as an operator spells it."""
        try:
            if environ is None:
                return cls()
            return _GivenMappingOnly.model_validate(
                {k.lower(): v for k, v in environ.items() if k.lower() in cls.model_fields}
            )
        except ValidationError as err:
            problems = "; ".join(_problem(e) for e in err.errors())
            raise ConfigurationError(f"invalid settings: {problems}") from None

    def region(self) -> Region:
        """This deployment's region (shared/regions.py); a contradiction raises ConfigurationError naming it."""
        try:
            return region_of(self.duo_region, self.duo_region_branches, self.duo_other_regions)
        except ValueError as err:
            raise ConfigurationError(f"invalid settings: {err}") from None

    def database_url(self, service: str) -> str | None:
        """<SERVICE>_DATABASE_URL."""
        return getattr(self, f"{service}_database_url", None)

    def owner_database_url(self, service: str) -> str | None:
        """<SERVICE>_OWNER_DATABASE_URL."""
        return getattr(self, f"{service}_owner_database_url", None)

    def kafka_security(self, service: str = "") -> KafkaSecurity | None:
        """The SASL settings of KAFKA_SECURITY_PROTOCOL and KAFKA_SASL_*, or None for PLAINTEXT."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return None
        username, password = self.kafka_sasl_username, self.kafka_sasl_password
        if not username or not password:
            given = {"KAFKA_SASL_USERNAME": username, "KAFKA_SASL_PASSWORD": password}
            missing = [name for name, value in given.items() if not value]
            raise ConfigurationError(
                f"{service + ': ' if service else ''}KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} "
                f"needs {' and '.join(missing)}"
            )
        return KafkaSecurity(self.kafka_security_protocol, self.kafka_sasl_mechanism, username, password)


def _problem(error: ErrorDetails) -> str:
    """One refused value: the variable's name, what was wrong, never the value (it may be a password)."""
    variable = str(error["loc"][0]).upper() if error.get("loc") else "?"
    return f"{variable}: {error['msg']}"


class _GivenMappingOnly(PlatformEnvironment):
    """The settings of a given mapping: the process's environment behind it is not read."""

    model_config = SettingsConfigDict(title="PlatformEnvironment")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class ConfigurationError(RuntimeError):
    """A required endpoint is neither configured nor provided by the embedded stack."""


@dataclass(frozen=True)
class ServiceSettings:
    """Everything one service process needs to connect to its infrastructure."""

    service: str
    database_url: str  # the runtime role's: no DDL (shared/runtime_privileges.py)
    kafka_bootstrap_servers: str
    kafka_session_timeout_ms: int = 6000
    # A third of the session (Kafka's rule): every heartbeat costs the embedded broker a request (issue 24).
    kafka_heartbeat_interval_ms: int = 2000
    topic_prefix: str = ""
    # How tokens are verified; None: from the environment at start-up (shared.auth.keys.configured_verifier).
    token_verifier: TokenVerifier | None = None
    # The URL of the role owning the database, for the migrations at start; None: they run on `database_url`.
    owner_database_url: str | None = None
    # The token Prometheus sends for /metrics; None: from the environment at start-up (shared.scrape_token).
    scrape_token: str | None = None
    # How this service authenticates to Kafka; None: PLAINTEXT, no authentication (the embedded broker).
    kafka_security: KafkaSecurity | None = None
    db_pool_size: int = 10  # DUO_DB_POOL_SIZE
    # The branches this deployment hosts (DUO_REGION...): anything about another is refused (shared/regions.py).
    region: Region = field(default_factory=Region)


def database_env_var(service: str) -> str:
    """The environment variable holding a service's database URL, e.g. INTAKE_DATABASE_URL."""
    return f"{service.upper()}_DATABASE_URL"


def load_service_settings(service: str, environ: dict[str, str] | None = None) -> ServiceSettings:
    """Resolve a service's endpoints: explicit environment variables win over the embedded defaults."""
    platform = PlatformEnvironment.from_environ(environ)
    embedded = read_endpoints(platform.duo_home.resolve())
    # The embedded default is the service's own role, never the superuser (docs/adr/0007).
    database_url = platform.database_url(service) or (embedded and embedded.service_database_url(service))
    owner_url = platform.owner_database_url(service)
    if not owner_url and embedded and not platform.database_url(service):
        owner_url = embedded.service_owner_database_url(service)
    kafka = platform.kafka_bootstrap_servers or (embedded and embedded.kafka_bootstrap)
    if not database_url or not kafka:
        raise ConfigurationError(
            f"{service}: set {database_env_var(service)} and KAFKA_BOOTSTRAP_SERVERS, "
            f"or start the embedded stack with `duo infra up` (data folder {platform.duo_home})"
        )
    return ServiceSettings(
        service=service,
        database_url=database_url,
        owner_database_url=owner_url if owner_url != database_url else None,
        kafka_bootstrap_servers=kafka,
        kafka_session_timeout_ms=platform.kafka_session_timeout_ms,
        kafka_heartbeat_interval_ms=platform.kafka_heartbeat_interval_ms,
        topic_prefix=platform.duo_topic_prefix,
        kafka_security=platform.kafka_security(service),
        db_pool_size=platform.duo_db_pool_size,
        region=platform.region(),
    )
