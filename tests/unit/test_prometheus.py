"""The alert rules and the scrape configuration, checked by Debian's promtool (package `prometheus`, which
`./duo test` installs): the rules parse and fire as deploy/prometheus/alerts.test.yml says, for the plain
configuration and for the Prometheus operator's PrometheusRule alike.

`promtool check config` is not used on prometheus.yml: Debian builds Prometheus without Kubernetes service
discovery, so it refuses `kubernetes_sd_configs`; its namespaces are checked against the overlays instead.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
K8S = ROOT / "deploy" / "k8s"


def _promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    # Never skipped: `./duo test` installs Debian's prometheus package when promtool is missing.
    assert shutil.which("promtool"), "promtool is not here: apt-get install prometheus"
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)


def test_the_alert_rules_are_valid() -> None:
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_as_its_unit_test_says() -> None:
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    fired = {t["alertname"] for test in tests for t in test["alert_rule_test"] if t["exp_alerts"]}
    assert fired == alerts, f"alerts without a test that fires them: {sorted(alerts - fired)}"


def test_a_broken_rule_fails_its_unit_test(tmp_path: Path) -> None:
    rules = (PROMETHEUS / "alerts.yml").read_text().replace("duo_outbox_oldest_age_seconds) > 300", "x) > 300")
    (tmp_path / "alerts.yml").write_text(rules)
    shutil.copy(PROMETHEUS / "alerts.test.yml", tmp_path)
    assert _promtool("test", "rules", "alerts.test.yml", cwd=tmp_path).returncode != 0


def test_the_operators_prometheusrule_holds_the_same_valid_rules(tmp_path: Path) -> None:
    (rule,) = yaml.safe_load_all((K8S / "components" / "prometheus-operator" / "prometheusrule.yaml").read_text())
    assert rule["spec"]["groups"] == yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"], (
        "run `python deploy/k8s/sync_kafka_setup.py`"
    )
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rule["spec"]))
    result = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_plain_scrape_configuration_covers_every_overlays_namespace() -> None:
    overlays = K8S / "overlays"
    namespaces = {yaml.safe_load((o / "kustomization.yaml").read_text())["namespace"] for o in overlays.iterdir()}
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "duo"]
    (discovery,) = job["kubernetes_sd_configs"]
    assert set(discovery["namespaces"]["names"]) == namespaces
    assert config["rule_files"] == ["alerts.yml"]
