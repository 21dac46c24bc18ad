"""docker-compose.yml: the structure an operator relies on, checked from the parsed file (no Docker needed);
`docker compose config` (or Debian's `docker-compose config`) validates it too where one is installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = ("intake", "matching", "tracking", "reporting")
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # merge keys (<<) resolved by PyYAML


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    return {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, path in (("postgres", "/var/lib/postgresql"), ("kafka", "/var/lib/kafka/data")):
        mounts = [m.split(":") for m in compose["services"][name]["volumes"]]
        named = [(source, target) for source, target, *_ in mounts if not source.startswith((".", "/"))]
        assert any(target == path and source in declared for source, target in named), f"{name}: no named volume"
    assert _environment(compose["services"]["kafka"])["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", _environment(compose["services"]["kafka"])["CLUSTER_ID"])


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_healthcheck_a_restart_policy_and_its_own_credentials(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    assert service["restart"] in ("unless-stopped", "always", "on-failure")
    check = service["healthcheck"]["test"]
    assert "/health" in " ".join(check) and check[0] in ("CMD", "CMD-SHELL")
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["depends_on"]["kafka-setup"]["condition"] == "service_completed_successfully"
    env = _environment(service)
    urls = {k: v for k, v in env.items() if k.endswith("_DATABASE_URL")}
    assert sorted(urls) == sorted([f"{name.upper()}_DATABASE_URL", f"{name.upper()}_OWNER_DATABASE_URL"])
    # It serves as its runtime role, and migrates as its database's owner.
    assert urls[f"{name.upper()}_DATABASE_URL"].startswith(f"postgresql://duo_{name}_runtime:")
    assert urls[f"{name.upper()}_OWNER_DATABASE_URL"].startswith(f"postgresql://duo_{name}:")
    assert env["KAFKA_SASL_USERNAME"] == name
    # /metrics answers only the scrape token; /health, unauthenticated, on the host's loopback only.
    assert VARIABLE.fullmatch(env["DUO_METRICS_TOKEN"])
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"])


def test_the_infrastructure_restarts_and_the_setup_runs_once(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["restart"] == services["kafka"]["restart"] == "unless-stopped"
    assert services["kafka-setup"]["restart"] == "no"
    assert all("healthcheck" in services[name] for name in ("postgres", "kafka"))
    assert services["kafka"]["ports"] == ["127.0.0.1:19092:9095"]  # the operators' SASL listener, loopback only


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if "PASSWORD" in key or "TOKEN" in key or key.endswith("_KEY"):
                assert VARIABLE.fullmatch(value), f"{name}.{key} is written in the file"
            if key.endswith("_DATABASE_URL"):
                password = value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
                assert VARIABLE.fullmatch(password), f"{name}.{key} holds a written password"


def test_every_variable_is_documented_in_the_example_env_file() -> None:
    used = {m["name"] for m in VARIABLE.finditer(COMPOSE.read_text())}
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert used == documented


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _config(env_file: Path) -> subprocess.CompletedProcess[str]:
    command = _compose_command()
    # Never skipped: `./duo test` installs Debian's docker-compose when neither is there.
    assert command is not None, "neither `docker compose` nor `docker-compose` is here: apt-get install docker-compose"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUO_")}  # only the file's values
    return subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=environment,
    )


def _example_with(tmp_path: Path, value: Callable[[str], str]) -> Path:
    """deploy/compose.env.example with each variable set to value(name) ("" leaves it empty, as copied)."""
    lines = []
    for line in (ROOT / "deploy" / "compose.env.example").read_text().splitlines():
        name = re.match(r"^([A-Z0-9_]+)=", line)
        lines.append(f"{name[1]}={value(name[1])}" if name else line)
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def test_docker_compose_config_accepts_the_file_with_every_secret_set(tmp_path: Path) -> None:
    result = _config(_example_with(tmp_path, lambda name: f"{name.lower()}-made-up"))
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    """The example copied as it is (every value empty), or one value missing: no default password is used."""
    copied = _config(_example_with(tmp_path, lambda _name: ""))
    assert copied.returncode != 0 and "in .env, see deploy/compose.env.example" in copied.stderr, copied.stderr
    one_missing = _config(_example_with(tmp_path, lambda n: "" if n == "DUO_TRACKING_DB_PASSWORD" else "made-up"))
    assert one_missing.returncode != 0 and "DUO_TRACKING_DB_PASSWORD" in one_missing.stderr, one_missing.stderr


def test_every_secret_is_required(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            for variable in VARIABLE.finditer(value):
                assert ":?" in variable[0], f"{name}.{key}: {variable[0]} has a default or may be empty"


def test_producers_share_a_folder_of_event_keys_that_reporting_only_reads(compose: dict[str, Any]) -> None:
    assert "event-keys" in compose["volumes"]
    for name in SERVICES:
        service = compose["services"][name]
        folder = _environment(service)["DUO_EVENT_KEYS_DIR"]
        [mount] = [m for m in service["volumes"] if m.startswith("event-keys:")]
        source, target, *mode = mount.split(":")
        assert target == folder
        assert mode == (["ro"] if name == "reporting" else []), name
