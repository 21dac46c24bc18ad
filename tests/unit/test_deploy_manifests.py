"""The Kubernetes manifests (deploy/k8s): rendered per environment and validated against the Kubernetes schemas,
then held to what an operator expects of every workload (docs/operations.md).

Rendering: kustomize is not on PyPI, so `render` below implements the part of it these kustomizations use
(resources, components, namespace, images, JSON 6902 patches, secretGenerator without hash suffixes) and refuses
anything else. Where `kubectl` is installed,
its `kubectl kustomize` renders too and must agree. Validation: kubernetes-validate (pip), strict, so an
unknown or misspelt field fails as well as a wrong type.
"""

from __future__ import annotations

import base64
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


KNOWN_KEYS = {"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}
KNOWN_KEYS |= {"secretGenerator", "configMapGenerator", "generatorOptions"}


def _generated_secrets(directory: Path, kustomization: dict[str, Any]) -> list[Manifest]:
    """secretGenerator's Secrets and configMapGenerator's ConfigMaps: `envs` files of KEY=value lines and `files`
    whose name is the key (or `key=file`)."""
    options = kustomization.get("generatorOptions", {})
    generators = [("Secret", g) for g in kustomization.get("secretGenerator", [])]
    generators += [("ConfigMap", g) for g in kustomization.get("configMapGenerator", [])]
    if generators and not options.get("disableNameSuffixHash"):
        raise NotImplementedError(f"{directory}: this test's renderer does not add hash suffixes")
    made = []
    for kind, generator in generators:
        data: dict[str, str] = {}
        for env in generator.get("envs", []):
            for line in (directory / env).read_text().splitlines():  # a missing file fails, as in kustomize
                if line.strip() and not line.lstrip().startswith("#"):
                    key, _, value = line.partition("=")
                    data[key.strip()] = value
        for file in generator.get("files", []):
            key, _, path = file.rpartition("=")
            data[key or Path(path).name] = (directory / path).read_text()
        metadata: dict[str, Any] = {"name": generator["name"]}
        for field in ("annotations", "labels"):
            if field in options:
                metadata[field] = dict(options[field])
        if kind == "ConfigMap":
            made.append({"apiVersion": "v1", "kind": kind, "metadata": metadata, "data": dict(sorted(data.items()))})
            continue
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in sorted(data.items())}
        made.append({"apiVersion": "v1", "kind": kind, "metadata": metadata, "type": "Opaque", "data": encoded})
    return made


def _apply_patches(directory: Path, kustomization: dict[str, Any], documents: list[Manifest]) -> None:
    for patch in kustomization.get("patches", []):
        operations = yaml.safe_load(patch["patch"])
        targets = [d for d in documents if _matches(patch["target"], d)]
        assert targets, f"{directory}: patch target {patch['target']} matches nothing"
        for document in targets:
            _json_patch(document, operations)


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
    documents += _generated_secrets(directory, kustomization)
    for component in kustomization.get("components", []):  # after the resources, before the patches
        path = (directory / component).resolve()
        declared = yaml.safe_load((path / "kustomization.yaml").read_text())
        assert declared["kind"] == "Component", f"{path} is not a kustomize Component"
        documents += [d for r in declared.get("resources", []) for d in _load_documents(path / r)]
        documents += _generated_secrets(path, declared)
        _apply_patches(path, declared, documents)
    _apply_patches(directory, kustomization, documents)
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
        # Readiness is "can serve requests", not "a consumer needs attention" (/health): shared/health.py.
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert "livenessProbe" in container and "startupProbe" in container
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        # Its own credentials only.
        secrets = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        # The publishers' chain keys; reporting's keys the digests of the messages it verified (docs/adr/0033).
        chain = {f"duo-{name}-chain"}
        vault = {"duo-intake-vault"} if name == "intake" else set()  # the master key of its vault (ADR 0020)
        own = {f"duo-{name}-database", f"duo-{name}-kafka", "duo-metrics-scrape"}
        assert secrets == own | chain | vault, name  # never the owner's URL: serving cannot change the schema
        # The migrations run as the owner in an init container of their own (docs/adr/0021).
        (migrate,) = spec["initContainers"]
        assert migrate["command"] == ["python", "-m", f"services.{name}.migrations"]
        given = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in migrate["env"]}
        upper = name.upper()
        assert given[f"{upper}_OWNER_DATABASE_URL"] == f"duo-{name}-database-owner"
        assert given[f"{upper}_DATABASE_URL"] == f"duo-{name}-database"  # whom the owner grants the privileges
        assert set(given.values()) == {f"duo-{name}-database", f"duo-{name}-database-owner"} | vault
        assert migrate["securityContext"] == context and {"cpu", "memory"} <= set(migrate["resources"]["limits"])
        scrape_token = next(e for e in container["env"] if e["name"] == "DUO_METRICS_TOKEN")
        assert scrape_token["valueFrom"]["secretKeyRef"] == {"name": "duo-metrics-scrape", "key": "token"}
        assert not any("secretRef" in source for source in container.get("envFrom", []))
        selecting = [p for p in policies if _pod_selected(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
        assert any(p["metadata"]["name"] == name for p in selecting), f"{name}: no NetworkPolicy of its own"
    default_deny = _by_kind(documents, "NetworkPolicy")["default-deny"]["spec"]
    assert default_deny["podSelector"] == {} and sorted(default_deny["policyTypes"]) == ["Egress", "Ingress"]


def test_no_replicas_where_an_autoscaler_owns_the_scale(rendered: tuple[str, list[Manifest]]) -> None:
    """An applied spec.replicas would reset the HorizontalPodAutoscaler's scale on every apply (or GitOps sync)."""
    overlay, documents = rendered
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in _by_kind(documents, "HorizontalPodAutoscaler").values()}
    assert scaled == set(SERVICES)
    for name, deployment in _by_kind(documents, "Deployment").items():
        assert "replicas" not in deployment["spec"], f"{overlay}: {name} sets replicas beside its autoscaler"


def _wave(document: Manifest) -> int:
    return int(document["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_every_release_applies_as_is_under_gitops(rendered: tuple[str, list[Manifest]]) -> None:
    """docs/adr/0017: no migration Job (each pod migrates before it serves, under a lock: an init container as the
    database's owner, ADR 0021); the one Job, the topic setup,
    is replaced on every sync by Argo CD (a Sync hook deleted before it is created) and Flux (force), after what
    it reads and the network policies that let it out."""
    overlay, documents = rendered
    jobs = _by_kind(documents, "Job")
    assert list(jobs) == ["kafka-setup"], f"{overlay}: Jobs {sorted(jobs)}"
    job = jobs["kafka-setup"]
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "Sync"
    assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    assert annotations["kustomize.toolkit.fluxcd.io/force"] == "enabled"
    pod = job["spec"]["template"]
    (setup,) = pod["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in setup["env"]}
    assert env["DUO_TOPIC_REPLICATION_FACTOR"] == "3" and env["DUO_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert setup["securityContext"]["readOnlyRootFilesystem"] is True
    assert setup["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    needs = [_by_kind(documents, "ServiceAccount")[pod["spec"]["serviceAccountName"]]]
    needs += [
        _by_kind(documents, "ConfigMap")[v["configMap"]["name"]] for v in pod["spec"]["volumes"] if "configMap" in v
    ]
    needs += [
        _by_kind(documents, "ConfigMap")[e["valueFrom"]["configMapKeyRef"]["name"]]
        for e in setup["env"]
        if "configMapKeyRef" in e.get("valueFrom", {})
    ]
    needs += [
        p
        for p in _by_kind(documents, "NetworkPolicy").values()
        if _pod_selected(p["spec"]["podSelector"].get("matchLabels", {}), pod["metadata"]["labels"])
    ]
    assert all(_wave(n) < _wave(job) for n in needs), [n["metadata"]["name"] for n in needs if _wave(n) >= _wave(job)]
    for name in SERVICES:  # each pod migrates its own database before it serves (every release, no Job to delete)
        pod = _by_kind(documents, "Deployment")[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"][:2] == ["serve", name]
        assert [c["command"][-1] for c in pod["initContainers"]] == [f"services.{name}.migrations"]


def _api_paths(service: str) -> list[str]:
    import importlib

    from shared.config import ServiceSettings

    settings = ServiceSettings(service, "postgresql://unused/unused", "unused:9092")
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    return [p.split("{")[0].rstrip("/") or "/" for p in app.openapi()["paths"]]


def _routed(paths: list[Manifest], path: str) -> bool:
    for rule in paths:
        if rule["pathType"] == "Exact" and path == rule["path"]:
            return True
        if rule["pathType"] == "Prefix" and (path == rule["path"] or path.startswith(rule["path"].rstrip("/") + "/")):
            return True
    return False


def test_the_ingress_serves_each_api_over_tls_and_never_health_or_metrics(rendered: tuple[str, list[Manifest]]) -> None:
    overlay, documents = rendered
    (ingress,) = _by_kind(documents, "Ingress").values()
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert ingress["spec"]["ingressClassName"] == "nginx"  # the controller the NetworkPolicies let in
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    (tls,) = ingress["spec"]["tls"]
    assert sorted(tls["hosts"]) == sorted(hosts) and tls["secretName"]
    services = _by_kind(documents, "Service")
    for rule in ingress["spec"]["rules"]:
        paths = rule["http"]["paths"]
        (name,) = {p["backend"]["service"]["name"] for p in paths}
        assert rule["host"].startswith(f"{name}."), rule["host"]
        ports = {p["name"] for p in services[name]["spec"]["ports"]}
        assert all(p["backend"]["service"]["port"]["name"] in ports for p in paths)
        for path in _api_paths(name):
            if path not in ("/health", "/health/ready"):
                assert _routed(paths, path), f"{overlay}: {name} {path} is not routed"
        for private in ("/metrics", "/health", "/health/ready", "/"):
            assert not _routed(paths, private), f"{overlay}: {name} publishes {private}"
        assert _routed(paths, "/docs") and _routed(paths, "/openapi.json")
    assert sorted(services) == sorted(name.split(".")[0] for name in hosts)


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
    # /metrics answers only the scrape token: every job sends it.
    for job in config["scrape_configs"]:
        assert job["authorization"]["credentials_file"].endswith("duo-metrics-scrape/token"), job["job_name"]


def _with_components(tmp_path: Path, overlay: str, *, secret_files: bool = True) -> Path:
    """A copy of deploy/k8s whose overlay lists both optional components, with made-up inputs for the secrets."""
    copied = tmp_path / "k8s"
    shutil.copytree(K8S, copied)
    secrets = copied / "components" / "secrets"
    generators = yaml.safe_load((secrets / "kustomization.yaml").read_text())["secretGenerator"]
    for generator in generators if secret_files else []:
        for env in generator.get("envs", []):
            key = "url=postgresql://duo_x:made-up@db:5432/duo_x" if "database" in env else "password=made-up"
            key = "token=made-up" if "metrics" in env else key
            key = "key=made-up" if "chain" in env else key
            key = "master-key=made-up" if "vault" in env else key
            (secrets / env).write_text(key + "\n")
        for file in generator.get("files", []):
            name = file.split("=")[-1]  # key=file: the file
            made_up = "made-up PEM\n" if name.endswith(".pem") else "sasl.mechanism=SCRAM-SHA-512\n"
            (secrets / name).write_text(made_up)
    (secrets / "keyring.json").write_text('{"keys": []}\n')
    kustomization = copied / "overlays" / overlay / "kustomization.yaml"
    components = "components:\n  - ../../components/secrets\n  - ../../components/prometheus-operator\n"
    kustomization.write_text(kustomization.read_text() + components)
    return copied / "overlays" / overlay


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_secrets_component_generates_every_secret_the_workloads_read(tmp_path: Path, overlay: str) -> None:
    documents = render(_with_components(tmp_path, overlay))
    secrets = _by_kind(documents, "Secret")
    for secret in secrets.values():
        kubernetes_validate.validate(secret, KUBERNETES_VERSION, strict=True)
    wanted = set()
    for document in documents:
        if document["kind"] in ("Deployment", "Job"):
            pod = document["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                for env in container.get("env", []):
                    if ref := env.get("valueFrom", {}).get("secretKeyRef"):
                        wanted.add((ref["name"], ref["key"]))
            for volume in pod.get("volumes", []):
                if "secret" in volume:
                    wanted |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    assert len(wanted) == 23  # the chain keys (reporting's too: ADR 0033), signing keys, the vault key, owners' URLs
    for name, key in wanted:
        assert key in secrets[name]["data"], f"{overlay}: the workloads read {name}/{key}, which is not generated"


def test_the_secrets_component_refuses_to_render_without_its_files_and_git_ignores_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        render(_with_components(tmp_path, "prod", secret_files=False))
    ignored = [
        "deploy/k8s/components/secrets/intake-database.env",
        "deploy/k8s/components/secrets/client.properties",
        "deploy/k8s/components/secrets/intake-event-key.pem",
        "deploy/k8s/components/secrets/keyring.json",
    ]
    for path in [*ignored, ".env"]:
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, f"{path} not ignored"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_prometheus_operator_component_scrapes_each_service_and_carries_the_rules(
    tmp_path: Path, overlay: str
) -> None:
    documents = render(_with_components(tmp_path, overlay))
    (monitor,) = _by_kind(documents, "ServiceMonitor").values()
    (rule,) = _by_kind(documents, "PrometheusRule").values()
    assert monitor["apiVersion"] == rule["apiVersion"] == "monitoring.coreos.com/v1"
    services = _by_kind(documents, "Service")
    selected = [
        s
        for s in services.values()
        if _pod_selected(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert sorted(s["metadata"]["name"] for s in selected) == sorted(SERVICES)
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["credentials"] == {"name": "duo-metrics-scrape", "key": "token"}
    assert all(endpoint["port"] in {p["name"] for p in s["spec"]["ports"]} for s in selected)
    # The alert rules select job "duo" (deploy/prometheus/alerts.yml): the operator's job label is part-of's value.
    assert all(s["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "duo" for s in selected)
    assert (
        rule["spec"]["groups"] == yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())["groups"]
    )
    namespace = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())["namespace"]
    assert monitor["metadata"]["namespace"] == rule["metadata"]["namespace"] == namespace


def test_each_producer_mounts_its_own_event_key_and_each_consumer_the_keyring(
    rendered: tuple[str, list[Manifest]],
) -> None:
    _, documents = rendered
    settings = _by_kind(documents, "ConfigMap")["duo-platform"]["data"]
    for name, deployment in _by_kind(documents, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        mounted = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        maps = {v["configMap"]["name"] for v in spec["volumes"] if "configMap" in v}
        if name == "reporting":
            assert secrets == set(), "reporting signs nothing: it holds no key"
        else:
            assert secrets == {f"duo-{name}-event-key"}, name  # its own key, no other service's
            assert settings["DUO_EVENT_SIGNING_KEY_FILE"].startswith(mounted["event-key"] + "/")
        if name == "intake":
            assert "duo-event-keyring" not in maps  # it consumes nothing
        else:
            assert "duo-event-keyring" in maps, name
            assert settings["DUO_EVENT_KEYRING_FILE"].startswith(mounted["event-keyring"] + "/")


def test_reporting_reaches_the_health_of_every_service_its_dashboard_lists(
    rendered: tuple[str, list[Manifest]],
) -> None:
    """DUO_SERVICE_URLS names the other three by their Services, and the network policies let reporting's pods
    reach them (out of reporting, into each)."""
    from shared.config import PlatformEnvironment

    overlay, documents = rendered
    config = _by_kind(documents, "ConfigMap")["duo-platform"]["data"]
    urls = PlatformEnvironment.from_environ(config).duo_service_urls
    assert sorted(urls) == sorted(set(SERVICES) - {"reporting"})
    services, deployments = _by_kind(documents, "Service"), _by_kind(documents, "Deployment")
    policies = _by_kind(documents, "NetworkPolicy")
    reporting_pod = deployments["reporting"]["spec"]["template"]["metadata"]["labels"]
    out = [
        rule for rule in policies["reporting"]["spec"]["egress"] for peer in rule.get("to", []) if "podSelector" in peer
    ]
    for name, url in urls.items():
        assert url == f"http://{name}" and services[name]["spec"]["ports"][0]["port"] == 80
        pod = deployments[name]["spec"]["template"]
        container_port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
        assert any(
            _pod_selected(peer["podSelector"]["matchLabels"], pod["metadata"]["labels"])
            and {"port": container_port, "protocol": "TCP"} in rule["ports"]
            for rule in out
            for peer in rule["to"]
        ), f"{overlay}: reporting may not reach {name}"
        assert any(
            _pod_selected(peer.get("podSelector", {}).get("matchLabels", {"-": "-"}), reporting_pod)
            for rule in policies[name]["spec"]["ingress"]
            for peer in rule["from"]
        ), f"{overlay}: {name} does not let reporting in"
