"""The Kubernetes manifests (deploy/k8s): rendered per environment and validated against the Kubernetes schemas,
then held to what an operator expects of every workload (docs/operations.md).

Rendering: kustomize is not on PyPI, so `render` below implements the part of it these kustomizations use
(resources, namespace, images, JSON 6902 patches) and refuses anything else. Where `kubectl` is installed,
its `kubectl kustomize` renders too and must agree. Validation: kubernetes-validate (pip), strict, so an
unknown or misspelt field fails as well as a wrong type.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SERVICES = ("intake", "matching", "tracking", "reporting")
KUBERNETES_VERSION = "1.31.0"  # the oldest release still supported upstream when this was written
USER = 10001  # the image's numeric user (deploy/docker/Dockerfile)

Manifest = dict[str, Any]


# -- a small kustomize ----------------------------------------------------------------------------------


def _load_documents(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _json_patch(document: Manifest, operations: list[dict[str, Any]]) -> None:
    for op in operations:
        *parents, last = _pointer(op["path"])
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(index, op["value"])
            elif op["op"] == "replace":
                node[index] = op["value"]
            elif op["op"] == "remove":
                del node[index]
            else:
                raise ValueError(f"unsupported patch operation {op['op']}")
        elif op["op"] in ("add", "replace"):
            if op["op"] == "replace" and last not in node:
                raise KeyError(f"replace of a missing {op['path']}")
            node[last] = op["value"]
        elif op["op"] == "remove":
            del node[last]
        else:
            raise ValueError(f"unsupported patch operation {op['op']}")


def _matches(target: dict[str, str], document: Manifest) -> bool:
    return all(
        (document.get("kind") if key == "kind" else document["metadata"].get(key)) == value
        for key, value in target.items()
    )


def _set_image(document: Manifest, images: list[dict[str, str]]) -> None:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec") if "template" in spec else None
    for container in (pod or {}).get("containers", []) + (pod or {}).get("initContainers", []):
        name = container["image"].split("@")[0].rsplit(":", 1)[0] if "/" not in container["image"] else None
        for image in images:
            if container["image"] == image["name"] or name == image["name"]:
                reference = image.get("newName", image["name"])
                if "digest" in image:
                    reference += "@" + image["digest"]
                elif "newTag" in image:
                    reference += ":" + image["newTag"]
                container["image"] = reference


KNOWN_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}


def render(directory: Path) -> list[Manifest]:
    """The documents `kustomize build directory` would print (for the features used here), in file order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_KEYS
    if unknown:
        raise NotImplementedError(f"{directory}: this test's renderer does not know {sorted(unknown)}")
    documents: list[Manifest] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        documents += render(path) if path.is_dir() else _load_documents(path)
    for patch in kustomization.get("patches", []):
        operations = yaml.safe_load(patch["patch"])
        targets = [d for d in documents if _matches(patch["target"], d)]
        assert targets, f"{directory}: patch target {patch['target']} matches nothing"
        for document in targets:
            _json_patch(document, operations)
    for document in documents:
        _set_image(document, kustomization.get("images", []))
        if "namespace" in kustomization:
            document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


def _key(document: Manifest) -> tuple[str, str]:
    return document["kind"], document["metadata"]["name"]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, render(K8S / "overlays" / request.param)


def _by_kind(documents: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def _pod_selected(selector: dict[str, str], pod_labels: dict[str, str]) -> bool:
    return all(pod_labels.get(k) == v for k, v in selector.items())


# -- the tests ------------------------------------------------------------------------------------------


def test_overlays_are_environments_not_countries() -> None:
    assert sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir()) == sorted(OVERLAYS)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubectl_kustomize_renders_the_same(overlay: str) -> None:
    printed = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)], check=True, capture_output=True, text=True
    ).stdout
    theirs = sorted((d for d in yaml.safe_load_all(printed) if d), key=_key)
    ours = sorted(render(K8S / "overlays" / overlay), key=_key)
    assert [_key(d) for d in theirs] == [_key(d) for d in ours]
    for mine, kustomize in zip(ours, theirs, strict=True):
        assert mine == kustomize, f"{overlay}: {_key(mine)} differs from kubectl kustomize"


def test_every_document_is_valid_against_the_kubernetes_schemas(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, documents = rendered
    assert len({_key(d) for d in documents}) == len(documents), f"{overlay}: duplicate names"
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d["spec"].__setitem__("replicas", "two"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("readinesProbe", {}),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),
    ],
    ids=["wrong type", "misspelt field", "missing required field"],
)
def test_a_broken_manifest_fails_validation(breakage: Any) -> None:
    deployment = copy.deepcopy(_by_kind(render(K8S / "overlays" / "prod"), "Deployment")["intake"])
    breakage(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_one_namespace_and_pinned_images(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, documents = rendered
    assert len({d["metadata"]["namespace"] for d in documents}) == 1
    for document in documents:
        for container in document.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            image = container["image"]
            assert ("@sha256:" in image or ":" in image.rsplit("/", 1)[-1]) and not image.endswith(":latest"), image


def test_each_service_has_what_an_operator_expects(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, documents = rendered
    deployments = _by_kind(documents, "Deployment")
    assert sorted(deployments) == sorted(SERVICES)
    services, pdbs, hpas = (
        _by_kind(documents, k) for k in ("Service", "PodDisruptionBudget", "HorizontalPodAutoscaler")
    )
    accounts = _by_kind(documents, "ServiceAccount")
    policies = list(_by_kind(documents, "NetworkPolicy").values())
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        spec = pod["spec"]
        assert _pod_selected(services[name]["spec"]["selector"], labels), f"{name}: no Service"
        assert _pod_selected(pdbs[name]["spec"]["selector"]["matchLabels"], labels), f"{name}: no PDB"
        assert hpas[name]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpas[name]["spec"]["maxReplicas"] <= 6, "more consumers than partitions would idle"
        assert spec["automountServiceAccountToken"] is False
        assert accounts[spec["serviceAccountName"]]["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = spec["containers"]
        context = container["securityContext"]
        assert context["runAsUser"] == USER and context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["readinessProbe"]["httpGet"]["path"] == "/health"
        assert "livenessProbe" in container and "startupProbe" in container
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        # Its own credentials only.
        secrets = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert secrets == {f"duo-{name}-database", f"duo-{name}-kafka"}, name
        assert not any("secretRef" in source for source in container.get("envFrom", []))
        selecting = [p for p in policies if _pod_selected(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
        assert any(p["metadata"]["name"] == name for p in selecting), f"{name}: no NetworkPolicy of its own"
    default_deny = _by_kind(documents, "NetworkPolicy")["default-deny"]["spec"]
    assert default_deny["podSelector"] == {} and sorted(default_deny["policyTypes"]) == ["Egress", "Ingress"]


def test_jobs_create_topics_for_production_and_migrate_each_database(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, documents = rendered
    jobs = _by_kind(documents, "Job")
    for name in SERVICES:
        (container,) = jobs[f"migrate-{name}"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}.migrations"]
        assert [e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e] == [
            f"duo-{name}-database"
        ]
    (setup,) = jobs["kafka-setup"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in setup["env"]}
    assert env["DUO_TOPIC_REPLICATION_FACTOR"] == "3" and env["DUO_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    for job in jobs.values():
        pod = job["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_the_kafka_setup_configmap_is_a_copy_of_the_script_and_the_topics() -> None:
    (configmap,) = _load_documents(K8S / "base" / "kafka-setup-files.yaml")
    assert configmap["data"] == {
        "setup.sh": (ROOT / "deploy" / "kafka" / "setup.sh").read_text(),
        "topics.toml": (ROOT / "deploy" / "topics.toml").read_text(),
    }, "run `python deploy/k8s/sync_kafka_setup.py`"


def test_the_alert_rules_use_only_metrics_the_services_expose() -> None:
    """deploy/prometheus/alerts.yml against shared/metrics.py's names (no promtool here: names and shape only)."""
    source = (ROOT / "shared" / "metrics.py").read_text()
    exposed = set(re.findall(r'"(duo_[a-z_]+)"', source))
    counters = {"duo_http_requests", "duo_consumer_processed_messages", "duo_consumer_applied_events"}
    counters |= {"duo_consumer_failures"}
    histograms = {"duo_http_request_duration_seconds", "duo_command_duration_seconds"}
    names = (
        (exposed - counters - histograms)
        | {f"{c}_total" for c in counters}
        | {f"{h}_{s}" for h in histograms for s in ("bucket", "sum", "count")}
    )
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"DuoOutboxRelayStalled", "DuoConsumerLagGrowing", "DuoParkedEvents"} <= {a["alert"] for a in alerts}
    for alert in alerts:
        assert {"alert", "expr", "labels", "annotations"} <= set(alert), alert
        used = set(re.findall(r"\bduo_[a-z_]+", alert["expr"]))
        assert used <= names, f"{alert['alert']} uses {sorted(used - names)}"
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
